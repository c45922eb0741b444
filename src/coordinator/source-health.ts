/**
 * Which sources the last backup could not read, kept until a backup reads them again (docs/format.md
 * §Coordinator database, events `sources-failed` and `sources-read`): for `vault status` (AT-RISK), its
 * metrics and the watch's alerts. Holds names, codes, one-line reasons and versions, never file content.
 */
import type { FailedSource } from './carry.js'
import type { Vault } from './vault.js'

/** A failing source, with when backups began failing to read it. */
export interface FailingSource extends FailedSource {
  readonly since: number
}

const KINDS = ['sources-failed', 'sources-read', 'source-mismatch', 'source-mismatch-cleared'] as const

/** The failures the newest backup recorded, of sources the vault still has. */
export function failingSources(vault: Vault): FailingSource[] {
  const e = vault.db.eventsOf(...KINDS)[0]
  if (e === undefined) return []
  const names = new Map(vault.db.sources().map((s) => [s.name, s]))
  if (e.kind === 'source-mismatch') {
    // written by a kith before sources were read one by one: the whole backup was refused
    const d = JSON.parse(e.detail) as { reason: string }
    return [{ source: '', kind: 'file', code: 'SOURCE_MISMATCH', reason: d.reason, since: e.at }]
  }
  if (e.kind !== 'sources-failed') return []
  const d = JSON.parse(e.detail) as { failed: FailingSource[] }
  return d.failed.filter((f) => names.has(f.source))
}

/**
 * Record what this backup read: the sources it could not (each failure logged, with since when), or,
 * after a failure, that every source was read again.
 */
export function recordSourceHealth(vault: Vault, failed: readonly FailedSource[]): void {
  const before = failingSources(vault)
  const now = vault.now()
  for (const f of failed)
    vault.log.error({ event: 'source-not-read', source: f.source, code: f.code, asOf: f.asOf?.version ?? 0 })
  if (failed.length === 0) {
    if (before.length > 0) vault.db.event('sources-read', {}, now)
    return
  }
  const next = failed.map((f) => ({ ...f, since: before.find((b) => b.source === f.source)?.since ?? now }))
  // written only when it changed: a watch backs up often while a source stays broken
  if (JSON.stringify(next) !== JSON.stringify(before)) vault.db.event('sources-failed', { failed: next }, now)
}

const _stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** Which copy the guardians keep of a source not read. */
export function keptCopy(f: FailedSource): string {
  return f.asOf === undefined
    ? 'no copy of it is kept'
    : `the guardians keep it as of version ${f.asOf.version} (made ${_stamp(f.asOf.at)})`
}

/** One plain line for a source a backup could not read: which, why (with the code), and what is kept. */
export function failedSourceLine(f: FailedSource): string {
  return `source ${f.source} NOT backed up: ${f.reason} [${f.code}]; ${keptCopy(f)}`
}

/** Status reasons: one per failing source, first (the verdict is AT-RISK while there is one). */
export function sourceHealthReasons(vault: Vault): string[] {
  return failingSources(vault).map((f) =>
    f.source === ''
      ? `SOURCE_MISMATCH: ${f.reason}: every backup is refused until the source is this node's again`
      : `${f.code}: ${f.reason}; source ${f.source} not read by any backup since ${_stamp(f.since)}: ${keptCopy(f)}`,
  )
}
