/** Handlers of `kith vault …`. Each prints for a person, or one JSON object with --json. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HealthAlerts } from '../../../coordinator/alerts.js'
import { type BackupReport, requireCommitted, runBackup } from '../../../coordinator/backup.js'
import { runDrill } from '../../../coordinator/drill.js'
import { buildKit, vetoRequest } from '../../../coordinator/recovery.js'
import { vaultStatus } from '../../../coordinator/status.js'
import { initVault, Vault } from '../../../coordinator/vault.js'
import { Watcher } from '../../../coordinator/watch.js'
import { encodeText } from '../../../crypto/text.js'
import { createLog, type Log, type LogLevel } from '../../../log.js'
import { kitToHtml, kitToText } from '../../../recovery/kit.js'
import { UsageError } from '../../errors.js'
import { formatAgo, formatSize, parseDuration } from '../../parse.js'
import { uploadBar } from '../../progress.js'
import { stopOnSignal } from '../../signals.js'

const say = (line: string) => console.log(line)

export interface VaultArgs {
  readonly dataDir: string
  readonly passphraseFile?: string
  readonly json: boolean
  readonly logLevel?: LogLevel
  readonly logFile?: string
}

/** The coordinator's structured log: --log-file, or kith.log in the vault directory. */
function _log(a: VaultArgs): Log {
  return createLog('coordinator', {
    file: a.logFile ?? join(a.dataDir, 'kith.log'),
    level: a.logLevel ?? 'info',
  })
}

/** Log what a backup did: versions, receipts, and each guardian's refusal by code. */
function _logReport(log: Log, r: BackupReport): void {
  for (const p of [...r.drained, ...(r.pushed ? [r.pushed] : [])]) {
    log.info({
      event: 'pushed',
      version: p.version,
      receipts: p.receipts,
      quorum: p.quorum,
      committed: p.committed,
    })
    for (const f of p.failures)
      log.warn({
        event: 'not-delivered',
        version: p.version,
        guardian: f.label,
        code: f.code ?? 'UNREACHABLE',
      })
  }
}

export async function readPassphrase(file?: string): Promise<string | undefined> {
  if (file === undefined) return undefined
  const text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
  if (text.length === 0) throw new UsageError(`the passphrase file ${file} is empty`)
  return text
}

async function _withVault<T>(a: VaultArgs, fn: (v: Vault) => Promise<T>, lock = true): Promise<T> {
  const vault = await Vault.open(a.dataDir, await readPassphrase(a.passphraseFile), { lock })
  try {
    return await fn(vault)
  } finally {
    await vault.close()
  }
}

export async function vaultInit(a: VaultArgs & { threshold: number; writeQuorum?: number; name: string }) {
  const w = a.writeQuorum ?? a.threshold
  const vaultId = await initVault(a.dataDir, {
    k: a.threshold,
    w,
    name: a.name,
    ...(a.passphraseFile ? { passphrase: (await readPassphrase(a.passphraseFile))! } : {}),
  })
  const id = encodeText('vault', vaultId)
  if (a.json) return say(JSON.stringify({ vault: id, k: a.threshold, w, name: a.name, dataDir: a.dataDir }))
  say(`Vault "${a.name}" created in ${a.dataDir}`)
  say(`  vault ID   ${id}`)
  say(`  threshold  any ${a.threshold} guardians can restore; a version counts once ${w} hold it`)
  say(
    `Next: ask ${Math.max(a.threshold, w)} or more friends for invites ('kith guardian invite'), then 'kith vault add-guardian <invite>'.`,
  )
}

export async function vaultAddGuardian(a: VaultArgs & { invite: string[] }) {
  await _withVault(a, async (vault) => {
    const r = await vault.addGuardians(a.invite)
    const n = vault.db.guardians().length
    if (a.json)
      return say(
        JSON.stringify({ guardians: n, activated: r.activated, needed: r.needed, results: r.results }),
      )
    if (!r.activated) {
      say(
        `${n} guardian(s) invited; the vault needs ${r.needed} before its key is split. Add ${r.needed - n} more.`,
      )
      return
    }
    const s = vault.db.settings()
    say(`Epoch ${s.epoch}: the data key is split ${s.k}-of-${n} across your guardians.`)
    for (const x of r.results)
      say(
        `  ${x.ok ? 'ok     ' : 'pending'} ${x.label}${x.ok ? '' : `: ${x.error} (retried at the next backup)`}`,
      )
    if (n < s.k + 1)
      say(
        `Warning: with ${n} guardians and k = ${s.k}, losing one guardian makes recovery impossible. Add more.`,
      )
  })
}

export async function vaultAddSource(a: VaultArgs & { kind: string; path: string; name?: string }) {
  await _withVault(a, async (vault) => {
    const s = await vault.addSource(a.kind, a.path, a.name)
    if (a.json) return say(JSON.stringify(s))
    say(`Source ${s.name} (${s.kind}) added: ${s.path}`)
    if (s.kind === 'file' && /hsm_secret|seed/i.test(s.path))
      say("  (the seed: restored only with your guardians' help, never shown in any output)")
  })
}

export async function vaultSources(a: VaultArgs & { remove?: string }) {
  await _withVault(a, async (vault) => {
    if (a.remove !== undefined) vault.removeSource(a.remove)
    const sources = vault.db.sources()
    if (a.json) return say(JSON.stringify({ sources }))
    if (a.remove !== undefined) say(`Source ${a.remove} removed; the next version will not include it.`)
    if (sources.length === 0)
      say("No sources yet: 'kith vault add-source lnd-scb ~/.lnd/data/chain/bitcoin/mainnet/channel.backup'")
    for (const s of sources) say(`  ${s.name.padEnd(16)} ${s.kind.padEnd(14)} ${s.path}`)
  })
}

export async function vaultBackup(a: VaultArgs & { timeout: string }) {
  await _withVault(a, async (vault) => {
    const bar = uploadBar(a.json)
    let report: Awaited<ReturnType<typeof runBackup>>
    try {
      report = await runBackup(vault, {
        timeoutMs: parseDuration(a.timeout),
        ...(bar ? { progress: bar } : {}),
      })
    } finally {
      bar?.stop()
    }
    _logReport(_log(a), report)
    const r = requireCommitted(report)
    if (a.json) return say(JSON.stringify(r))
    for (const d of r.drained)
      say(
        `outbox: version ${d.version} now has ${d.receipts} of ${d.quorum} receipts${d.committed ? ' (committed)' : ''}`,
      )
    if (r.pushed === undefined)
      return say('Nothing changed since the newest version; no new version was made.')
    say(
      `Version ${r.pushed.version} committed: ${r.pushed.receipts} guardians hold it (quorum ${r.pushed.quorum}); ${r.newChunks} new chunk(s), ${formatSize(r.bytesStored)} new.`,
    )
    for (const f of r.pushed.failures) say(`  not delivered to ${f.label}: ${f.error}`)
  })
}

export async function vaultStatusCommand(a: VaultArgs & { offline: boolean }) {
  await _withVault(
    a,
    async (vault) => {
      const s = await vaultStatus(vault, { probe: !a.offline })
      if (a.json) return say(JSON.stringify(s))
      const now = Date.now()
      say(`Vault "${s.name}" ${s.vault}`)
      say(
        `  ${s.verdict.toUpperCase()}: committed version ${s.committedVersion}${s.newestVersion > s.committedVersion ? ` (outbox: ${s.outbox.join(', ')})` : ''}, epoch ${s.epoch}, ${s.k}-of-${s.n}, write quorum ${s.w}`,
      )
      for (const r of s.reasons) say(`  - ${r}`)
      if (s.incidents.length > 0)
        say(
          `  !! ${s.incidents.length} equivocation/fencing incident(s) recorded; see docs/operator.md#alerts`,
        )
      for (const g of s.guardians) {
        const state = !g.member
          ? 'invited'
          : g.reachable === null
            ? 'not asked'
            : g.reachable
              ? 'reachable'
              : 'UNREACHABLE'
        say(
          `  ${g.label.padEnd(20)} ${state.padEnd(11)} version ${g.version}${g.lag ? ` (${g.lag} behind)` : ''}${g.hasCurrentShare ? '' : ', no current share'}${g.lastContact ? `, seen ${formatAgo(now - g.lastContact)}` : ''}`,
        )
      }
    },
    false,
  ) // status only reads, so it works beside a running watch
}

export async function vaultWatch(
  a: VaultArgs & {
    debounce: string
    retry: string
    timeout: string
    alertWebhook?: string
    alertCommand?: string
  },
) {
  const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const log = _log(a)
  const line = (l: string) => {
    log.info({ event: 'note' }, l)
    say(`${stamp()} ${l}`)
  }
  await _withVault(a, async (vault) => {
    const alerts = new HealthAlerts(
      {
        ...(a.alertWebhook ? { webhook: a.alertWebhook } : {}),
        ...(a.alertCommand ? { command: a.alertCommand } : {}),
      },
      line,
    )
    const watcher = new Watcher(vault, {
      debounceMs: parseDuration(a.debounce),
      retryMs: parseDuration(a.retry),
      timeoutMs: parseDuration(a.timeout),
      onEvent: line,
      afterRound: async () => {
        const status = await vaultStatus(vault)
        await alerts.incidents(status)
        await alerts.recoveryRequests(status)
        await alerts.observe(status)
      },
    })
    await watcher.start()
    line(`watching ${vault.db.sources().length} source(s) of vault "${vault.db.settings().name}"`)
    await stopOnSignal(() => watcher.stop(), line)
    line('stopped')
  })
}

export async function vaultRemoveGuardian(a: VaultArgs & { peerId: string; timeout: string }) {
  await _withVault(a, async (vault) => {
    const r = await vault.removeGuardian(a.peerId)
    // the current state, re-encrypted under the new data key, goes to the remaining guardians now
    const backup = requireCommitted(await runBackup(vault, { timeoutMs: parseDuration(a.timeout) }))
    if (a.json) return say(JSON.stringify({ ...r, backup }))
    const s = vault.db.settings()
    say(`Epoch ${s.epoch}: guardian removed; a new data key is split ${s.k}-of-${vault.members().length}.`)
    say(
      r.removedTold
        ? '  the removed guardian deleted its copy'
        : '  the removed guardian could not be told; it keeps only data under the old key',
    )
    for (const x of r.results)
      say(`  ${x.ok ? 'ok     ' : 'pending'} ${x.label}${x.ok ? '' : `: ${x.error}`}`)
    if (backup.pushed)
      say(`Version ${backup.pushed.version} (re-encrypted) committed by ${backup.pushed.receipts} guardians.`)
  })
}

export async function vaultKit(a: VaultArgs & { out: string }) {
  const kit = await _withVault(a, async (vault) => buildKit(vault), false)
  const txt = `${a.out}.txt`
  const html = `${a.out}.html`
  await writeFile(txt, kitToText(kit))
  await writeFile(html, await kitToHtml(kit))
  if (a.json) return say(JSON.stringify({ text: txt, html, guardians: kit.guardians.length }))
  say(`Recovery kit written: ${txt} and ${html} (no secrets; ${kit.guardians.length} guardians).`)
  say('Print it and keep it with your seed backup. Write a new one after adding or removing a guardian.')
}

export async function vaultVeto(a: VaultArgs & { request: string }) {
  await _withVault(a, async (vault) => {
    const results = await vetoRequest(vault, a.request)
    const ok = results.filter((r) => r.ok).length
    if (a.json) say(JSON.stringify({ request: a.request, vetoed: ok, results }))
    else {
      say(`Veto of request ${a.request} delivered to ${ok} of ${results.length} guardians.`)
      for (const r of results) if (!r.ok) say(`  not delivered to ${r.label}: ${r.error}`)
      say('Call your guardians: someone is trying to recover your vault. A guardian can still override a')
      say('veto after speaking with you, so a stolen vault key cannot block your own recovery forever.')
    }
    if (ok === 0) process.exitCode = 1
  })
}

export async function vaultDrill(a: VaultArgs) {
  await _withVault(a, async (vault) => {
    const r = await runDrill(vault)
    if (a.json) say(JSON.stringify(r))
    else {
      say(`Recovery drill on version ${r.version}: ${r.pass ? 'PASSED' : 'FAILED'}`)
      for (const g of r.guardians) {
        const what = g.reachable
          ? `share ${g.share}, version ${g.version}, ${g.chunksOk}/${g.chunksChecked} chunks`
          : `unreachable (${g.error})`
        say(`  ${g.pass ? 'ok  ' : 'FAIL'} ${g.label.padEnd(20)} ${what}`)
      }
    }
    if (!r.pass) process.exitCode = 1
  })
}
