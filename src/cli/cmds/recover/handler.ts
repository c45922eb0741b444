/**
 * `kith recover`: bring a lost node's files back from its guardians, with k friends approving by hand.
 * Human output narrates; --json prints one JSON object per event line, for scripts and tests.
 */
import { createInterface } from 'node:readline/promises'
import { refuseExistingVault } from '../../../coordinator/create.js'
import { type ResumeReport, resumeAfterRecovery } from '../../../coordinator/resume.js'
import { checkSources, type SourceFacts } from '../../../coordinator/source-checks.js'
import { decodeText, encodeText } from '../../../crypto/text.js'
import { KithError, thrownText } from '../../../errors.js'
import { formatAgo } from '../../../format.js'
import { closeLog, createLog, errorFields, type Log } from '../../../log.js'
import type { LastHeard } from '../../../recovery/context.js'
import { kitFromText, kitGuardianPeer, kitVaultId } from '../../../recovery/kit.js'
import { nextSteps } from '../../../recovery/next-steps.js'
import { paperShareFromText } from '../../../recovery/paper-share.js'
import { Recovery } from '../../../recovery/session.js'
import { type RecoveryTarget, targetFromAddr } from '../../../recovery/targets.js'
import { type RestoredFile, readyOutDir } from '../../../replica/restore.js'
import type { GlobalArgs } from '../../command.js'
import { UsageError } from '../../errors.js'
import { say, sayJson } from '../../output.js'
import { parseDuration } from '../../parse.js'
import { readPassphrase, readSecretText } from '../../passphrase.js'
import { readOptionFile } from '../../paths.js'
import { narrate, narrateResume } from './narrate.js'
import type { RecoverArgs } from './options.js'

async function _targets(a: RecoverArgs): Promise<{ vaultId: Uint8Array; guardians: RecoveryTarget[] }> {
  if (a.kit !== undefined) {
    const text = await readOptionFile('--kit', a.kit)
    const kit = kitFromText(text)
    const guardians = kit.guardians.map((g) => ({
      label: g.label,
      peerId: kitGuardianPeer(g),
      addrs: g.addrs,
    }))
    for (const addr of a.guardian ?? []) guardians.push(targetFromAddr(addr))
    return { vaultId: kitVaultId(kit), guardians }
  }
  if (a.vault === undefined || (a.guardian ?? []).length === 0)
    throw new UsageError('give --kit FILE, or --vault kvault1… with at least one --guardian address')
  let vaultId: Uint8Array
  try {
    vaultId = decodeText('vault', a.vault)
  } catch {
    // the text-form error names a checksum; the user needs to hear which argument is wrong
    throw new UsageError(`'${a.vault}' is not a vault id (kvault1…)`)
  }
  return { vaultId, guardians: (a.guardian ?? []).map(targetFromAddr) }
}

/**
 * Before --resume restores channel state while the old node was heard recently: the operator's word that
 * it is stopped. --old-node-stopped gives it; on a terminal (not --json) it is asked for; otherwise none.
 */
async function _oldNodeStopped(a: RecoverArgs, heard: LastHeard): Promise<boolean> {
  if (a.oldNodeStopped) return true
  if (a.json || !process.stdin.isTTY || !process.stdout.isTTY) return false
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = await rl.question(
      `Your old node was last heard by ${heard.guardians} guardian(s) ${formatAgo(heard.ago)}. Two nodes on one channel state lose the channels.\nStop it for good (lightningd and kith on that machine), then type "stopped": `,
    )
    return answer.trim().toLowerCase() === 'stopped'
  } finally {
    rl.close()
  }
}

/**
 * The restored files checked against the node's formats (coordinator/source-checks.ts): the node id the
 * hsm_secret makes, emergency.recover's channels and peers. Said, not fatal: the files are restored, and a
 * file that is not what its kind says is named loudly before the operator starts a node on it.
 */
async function _checkRestored(a: RecoverArgs, files: readonly RestoredFile[], log: Log): Promise<void> {
  const sources = files
    .filter((f) => f.kind !== 'dir')
    .map((f) => ({ name: f.source, kind: f.kind, path: f.written }))
  let facts: Map<string, SourceFacts>
  try {
    // a database restored here is checked whole: nothing runs on it yet
    facts = await checkSources(sources, { integrity: 'quick' })
  } catch (err) {
    log.error({ event: 'restored-file-mismatch', ...errorFields(err) })
    if (a.json)
      return sayJson({
        event: 'node-checked',
        pass: false,
        code: err instanceof KithError ? err.code : 'INTERNAL',
        error: thrownText(err),
      })
    say(
      `!! a restored file is not what it should be: ${thrownText(err)}. Check it before starting a node on it`,
    )
    return
  }
  const nodeId = [...facts.values()].find((f) => f.nodeId !== undefined)?.nodeId
  const checked = [...facts].map(([name, f]) => ({
    source: name,
    checked: f.summary,
    ...(f.unchecked ? { unchecked: f.unchecked } : {}),
  }))
  if (a.json)
    return sayJson({ event: 'node-checked', pass: true, ...(nodeId ? { nodeId } : {}), sources: checked })
  if (nodeId !== undefined)
    say(`✓ your node: ${nodeId} (lightning-cli getinfo must show this id once it runs)`)
  for (const c of checked)
    say(`✓ ${c.source}: ${c.checked}${c.unchecked ? ` (not checked: ${c.unchecked})` : ''}`)
}

export async function recoverHandler(a: RecoverArgs & GlobalArgs): Promise<void> {
  // a negative or fractional count would quietly lower the answers needed to rule out a stale version
  for (const [flag, n] of [
    ['--tolerate', a.tolerate],
    ['--version', a.version],
  ] as const)
    if (n !== undefined && (!Number.isInteger(n) || n < (flag === '--version' ? 1 : 0)))
      throw new UsageError(
        `${flag} takes a whole number${flag === '--version' ? ' from 1' : ' from 0'}, not ${n}`,
      )
  if (a.resume && a.paperShare === '-' && a.passphraseFile === '-')
    throw new UsageError(
      '--paper-share - and --passphrase-file - would both read standard input: give one of them a file',
    )
  const { vaultId, guardians } = await _targets(a)
  const paperShare =
    a.paperShare === undefined
      ? undefined
      : paperShareFromText(await readSecretText(a.paperShare, '--paper-share'), vaultId)
  // refuse before any friend is asked, not after they approved
  await readyOutDir(a.out)
  if (a.resume) await refuseExistingVault(a.dataDir)
  // asked (or read) now, not once the friends approved and the request was closed
  const passphrase = a.resume ? await readPassphrase(a.passphraseFile) : undefined
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const log = createLog('recovery', { ...(a.logFile ? { file: a.logFile } : {}), level: a.logLevel })
  const recovery = new Recovery({
    vaultId,
    guardians,
    outDir: a.out,
    acceptStale: a.acceptStale,
    ...(a.tolerate !== undefined ? { tolerate: a.tolerate } : {}),
    ...(a.version !== undefined ? { version: a.version } : {}),
    waitMs: parseDuration(a.wait),
    pollMs: parseDuration(a.poll),
    signal: stop.signal,
    log,
    onEvent: (e) => (a.json ? sayJson(e) : narrate(e)),
    ...(paperShare !== undefined ? { paperShare } : {}),
    ...(a.resume ? { confirmOldNodeStopped: (heard: LastHeard) => _oldNodeStopped(a, heard) } : {}),
  })
  if (!a.json) {
    say(
      `Recovering vault ${encodeText('vault', vaultId)} from ${guardians.length} guardian(s); request ${recovery.request}.`,
    )
    say('Each guardian has its own code. Read it to that friend by phone; they approve with it.')
  }
  try {
    const result = await recovery.run()
    let resumed: ResumeReport | undefined
    try {
      await _checkRestored(a, result.files, log)
      // the vault is back: its request closes at every friend, so none is left with an Approve box
      const finished = await recovery.finish(result)
      if (a.resume) resumed = await resumeAfterRecovery(a.dataDir, result, a.out, passphrase, log, finished)
    } finally {
      result.dataKey.fill(0) // without --resume the key never leaves this process
    }
    if (resumed !== undefined) {
      const r = resumed
      const p = r.backup.pushed
      if (a.json)
        sayJson({
          event: 'resumed',
          vault: r.vault,
          dataDir: r.dataDir,
          epoch: r.epoch,
          rosters: r.rosters,
          version: p?.version ?? null,
          committed: p?.committed ?? false,
        })
      else narrateResume(r)
    }
    if (a.json) return
    say('')
    say('Next steps:')
    for (const f of result.files) for (const line of nextSteps(f.kind, f.written)) say(`  ${line}`)
  } catch (err) {
    log.error({ event: 'failed', ...errorFields(err) })
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await recovery.close()
    closeLog(log)
  }
}
