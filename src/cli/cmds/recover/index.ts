/**
 * `kith recover`: bring a lost node's files back from its guardians, with k friends approving by hand.
 * Human output narrates; --json prints one JSON object per event line, for scripts and tests.
 */
import { readFile, stat } from 'node:fs/promises'
import type { Argv, CommandModule } from 'yargs'
import { VaultExistsError } from '../../../coordinator/errors.js'
import { type ResumeReport, resumeAfterRecovery } from '../../../coordinator/resume.js'
import { DEFAULT_VAULT_DIR, vaultPaths } from '../../../coordinator/vault.js'
import { decodeText } from '../../../crypto/text.js'
import { createLog, errorFields, type LogLevel } from '../../../log.js'
import { InvalidKitError } from '../../../recovery/errors.js'
import { kitFromText, kitGuardianPeer, kitVaultId } from '../../../recovery/kit.js'
import { nextSteps } from '../../../recovery/next-steps.js'
import {
  Recovery,
  type RecoveryEvent,
  type RecoveryTarget,
  targetFromAddr,
} from '../../../recovery/session.js'
import { UsageError } from '../../errors.js'
import { parseDuration } from '../../parse.js'
import { readPassphrase } from '../vault/handlers.js'

interface RecoverArgs {
  kit?: string
  vault?: string
  guardian?: string[]
  out: string
  acceptStale: boolean
  wait: string
  poll: string
  resume: boolean
  logLevel: LogLevel
  logFile?: string
  dataDir: string
  passphraseFile?: string
  json: boolean
}

const say = (line: string) => console.log(line)
const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

function _human(e: RecoveryEvent): void {
  switch (e.event) {
    case 'request-sent':
      say(`→ ${e.guardian}: request ${e.request}, code ${e.code}`)
      say(`    call ${e.guardian} on a number you know and read them this code`)
      break
    case 'unreachable':
      say(`✗ ${e.guardian} is unreachable for now (${e.error}); still trying`)
      break
    case 'approved':
      say(
        `✓ ${e.guardian} approved${e.releaseAt > Date.now() ? `; their share is released at ${when(e.releaseAt)}` : ''}`,
      )
      break
    case 'denied':
      say(`✗ ${e.guardian}: request ${e.state}`)
      break
    case 'refused':
      say(`✗ ${e.guardian} refused: ${e.error} [${e.code}]`)
      break
    case 'share-received':
      say(`✓ share from ${e.guardian}: ${e.have} of ${e.need}`)
      break
    case 'key-rebuilt':
      say(`✓ data key rebuilt from ${e.shares} shares and checked against the vault's commitment`)
      for (const x of e.badShares)
        say(`  !! the share with x=${x} does not fit the others; tell its guardian`)
      break
    case 'heads-collected':
      say(
        `✓ ${e.answered} guardian(s) answered (${e.needed} needed to be sure): newest version ${e.version}, made ${when(e.createdAt)}`,
      )
      if (e.acceptedStale)
        say('  !! fewer answered than needed: this may NOT be the newest committed version')
      break
    case 'bad-guardian':
      say(`!! a guardian (${e.guardian}) served a chunk that does not match its id; skipped from now on`)
      break
    case 'restore-done':
      say(`✓ version ${e.version} (made ${when(e.createdAt)}) restored and verified:`)
      for (const f of e.files) say(`    ${f.path} (${f.size} bytes)`)
      break
  }
}

async function _targets(a: RecoverArgs): Promise<{ vaultId: Uint8Array; guardians: RecoveryTarget[] }> {
  if (a.kit !== undefined) {
    const text = await readFile(a.kit, 'utf8').catch(() => {
      throw new InvalidKitError(`cannot read ${a.kit}`)
    })
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
    throw new UsageError(`'${a.vault}' is not a vault id (kvault1…)`)
  }
  return { vaultId, guardians: a.guardian!.map(targetFromAddr) }
}

async function recover(a: RecoverArgs): Promise<void> {
  const { vaultId, guardians } = await _targets(a)
  // refuse before any friend is asked, not after they approved
  if (
    a.resume &&
    (await stat(vaultPaths(a.dataDir).key).then(
      () => true,
      () => false,
    ))
  )
    throw new VaultExistsError(a.dataDir)
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
    waitMs: parseDuration(a.wait),
    pollMs: parseDuration(a.poll),
    signal: stop.signal,
    onEvent: (e) => {
      log.info({ ...e })
      if (a.json) say(JSON.stringify(e))
      else _human(e)
    },
  })
  if (!a.json) {
    say(
      `Recovering vault ${a.vault ?? a.kit} from ${guardians.length} guardian(s); request ${recovery.request}.`,
    )
    say('Each guardian has its own code. Read it to that friend by phone; they approve with it.')
  }
  try {
    const result = await recovery.run()
    let resumed: ResumeReport | undefined
    try {
      if (a.resume)
        resumed = await resumeAfterRecovery(a.dataDir, result, a.out, await readPassphrase(a.passphraseFile))
    } finally {
      result.dataKey.fill(0) // without --resume the key never leaves this process
    }
    if (resumed !== undefined) {
      const r = resumed
      const p = r.backup.pushed
      if (a.json)
        say(
          JSON.stringify({
            event: 'resumed',
            vault: r.vault,
            dataDir: r.dataDir,
            epoch: r.epoch,
            rosters: r.rosters,
            version: p?.version ?? null,
            committed: p?.committed ?? false,
          }),
        )
      else {
        say(
          `✓ this machine is now the coordinator of ${r.vault} (epoch ${r.epoch}, new data key) in ${r.dataDir}`,
        )
        say(
          `  guardians told: ${r.rosters.filter((x) => x.ok).length} of ${r.rosters.length}; the old coordinator is fenced out`,
        )
        if (p)
          say(
            `  version ${p.version} ${p.committed ? 'committed' : 'NOT committed yet (kept in the outbox)'}`,
          )
        say(
          "  Its sources are the restored files; re-add them where your node keeps them ('kith vault add-source').",
        )
      }
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
  }
}

export const recoverCommand: CommandModule = {
  command: 'recover',
  describe: "Recover a lost node's files from its guardians (k friends approve)",
  builder: (y: Argv) =>
    y
      .option('kit', { type: 'string', describe: 'the recovery kit (text or HTML)' })
      .option('vault', { type: 'string', describe: 'vault id (kvault1…), without a kit' })
      .option('guardian', {
        type: 'string',
        array: true,
        describe: 'a guardian multiaddr ending in /p2p/<peer id> (repeatable)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'directory to restore into' })
      .option('accept-stale', {
        type: 'boolean',
        default: false,
        describe: 'restore even if too few guardians answered to be sure it is the newest version',
      })
      .option('wait', { type: 'string', default: '24h', describe: 'how long to wait for approvals' })
      .option('poll', { type: 'string', default: '1s', describe: 'how often to ask each guardian' })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: "become the vault's coordinator here (fences the old one out, rotates the data key)",
      })
      .option('data-dir', {
        type: 'string',
        default: DEFAULT_VAULT_DIR,
        describe: 'with --resume: where the vault keeps its keys and state',
      })
      .option('passphrase-file', { type: 'string', describe: 'with --resume: seal the vault key with this' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per event' }),
  handler: (a) => recover(a as unknown as RecoverArgs),
}
