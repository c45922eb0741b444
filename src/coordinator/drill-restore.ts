/**
 * `kith vault drill --restore`, the full drill: besides the proofs (drill.ts), the newest committed
 * version is fetched from the guardians (never from this machine's chunks), its manifest checked to be
 * the one this coordinator committed, its files restored with the vault's own data key into a private
 * temp dir, each file checked for its source kind and held against the live source (drill-check.ts),
 * and the dir removed, on failure too. The result is an event (`full-drill`) that `kith vault status`
 * shows. It passes when the version restores and checks out and every guardian proved its share and
 * holds the version; a guardian that served bad data the others made up for is named, and the drill
 * still passes. Nothing logged or recorded carries a key or a file's content.
 */
import { constants, existsSync } from 'node:fs'
import { access, chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { equalBytes } from '../crypto/bytes.js'
import { processAlive } from '../disk/lock.js'
import { KithError } from '../errors.js'
import { type Why, whyOf } from '../p2p/errors.js'
import { fetchManifest, restoreFromGuardians } from '../recovery/fetch-version.js'
import { openManifest, openManifestBody } from '../replica/manifest.js'
import type { BodyUnread, SourceKind } from '../replica/manifest-body.js'
import type { RestoredFile } from '../replica/restore.js'
import { distrust } from './distrust.js'
import { type DrillReport, NothingCommittedError, runDrill } from './drill.js'
import { checkRestoredFile, compareLive, type LiveComparison } from './drill-check.js'
import type { GuardianRow, VersionRow } from './store.js'
import type { Vault } from './vault.js'

/** No guardian serves the newest committed version's manifest as this coordinator committed it. */
export class VersionNotServedError extends KithError {
  readonly code = 'VERSION_NOT_SERVED'
  constructor(version: number) {
    super(`no guardian serves version ${version} as this coordinator committed it`, { version })
  }
}

/** The drill's restored files could not be removed: they are secrets, left in a temp dir. */
export class DrillLeftoverError extends KithError {
  readonly code = 'DRILL_LEFTOVER'
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(
      `the drill could not remove its restored files in ${dir}: remove that directory now`,
      { dir },
      { cause },
    )
  }
}

/** A guardian that served data that did not verify: a chunk, a manifest, or chunk proofs. */
export interface BadData {
  readonly guardian: string
  readonly what: 'chunk' | 'manifest' | 'chunk-proof'
}

/** One restored file: its check and how it stands against the live source. */
export interface DrilledFile extends Partial<LiveComparison> {
  readonly source: string
  readonly kind: SourceKind
  /** Inside the source (a single-file source's: its name). */
  readonly path: string
  readonly size: number
  /** The check's facts, or what failed (then the drill fails). */
  readonly check: { readonly ok: true; readonly summary: string } | ({ readonly ok: false } & Why)
}

export interface RestoreDrill {
  readonly version: number
  readonly pass: boolean
  /** The guardians that served the version's manifest as committed, which the chunks were asked of. */
  readonly holders: readonly string[]
  readonly bad: readonly BadData[]
  readonly files: readonly DrilledFile[]
  /** Sources the version could not read when it was made: their files are of version `asOf` (0: none). */
  readonly unread?: readonly BodyUnread[]
  /** Why the restore failed (absent if it did not). */
  readonly failure?: Why
  /** Where the files were restored: removed before the drill returns. */
  readonly dir: string
}

export interface FullDrillReport extends DrillReport {
  readonly restore: RestoreDrill
}

/** What the `full-drill` event records (docs/format.md §Coordinator database). */
export interface FullDrillRecord {
  readonly version: number
  readonly pass: boolean
  readonly bad: readonly BadData[]
  /** Guardians that did not prove their share or the version. */
  readonly failed: readonly string[]
  readonly failure?: Why
  readonly files: number
}

const PREFIX = 'kith-drill-'

/** The proofs, then the restore; recorded as one `full-drill` event. */
export async function runFullDrill(
  vault: Vault,
  options: { tmpRoot?: string } = {},
): Promise<FullDrillReport> {
  const proofs = await runDrill(vault)
  const restore = await runRestoreDrill(vault, options)
  // a chunk proof that does not match is bad data too; the restore says whether the others made up for it
  const bad = [...restore.bad]
  for (const g of proofs.guardians)
    if (g.reachable && g.chunksOk < g.chunksChecked && !bad.some((b) => b.guardian === g.label))
      bad.push({ guardian: g.label, what: 'chunk-proof' })
  const failed = proofs.guardians
    .filter((g) => !g.reachable || g.share !== 'ok' || (g.version ?? 0) < proofs.version)
    .map((g) => g.label)
  const pass = restore.pass && failed.length === 0
  const record: FullDrillRecord = {
    version: restore.version,
    pass,
    bad,
    failed,
    ...(restore.failure !== undefined ? { failure: restore.failure } : {}),
    files: restore.files.length,
  }
  vault.db.event('full-drill', { ...record }, vault.now())
  ;(pass && bad.length === 0 ? vault.log.info : vault.log.warn).call(vault.log, {
    event: 'full-drill',
    ...record,
  })
  return { ...proofs, pass, restore: { ...restore, bad } }
}

/** The newest full drill recorded, if any. */
export function lastFullDrill(vault: Vault): (FullDrillRecord & { at: number }) | undefined {
  const e = vault.db.eventsOf('full-drill')[0]
  return e === undefined ? undefined : { ...(JSON.parse(e.detail) as FullDrillRecord), at: e.at }
}

/** Restore the newest committed version from the guardians into a private temp dir, check it, remove it. */
export async function runRestoreDrill(
  vault: Vault,
  options: { tmpRoot?: string } = {},
): Promise<RestoreDrill> {
  const newest = vault.db.newestCommitted()
  if (newest === undefined) throw new NothingCommittedError()
  const root = options.tmpRoot ?? (await drillTempRoot())
  const bad: BadData[] = []
  const holders: string[] = []
  const files: DrilledFile[] = []
  const unread: BodyUnread[] = []
  let dir = ''
  let failure: Why | undefined
  try {
    await _sweep(root)
    dir = await mkdtemp(join(root, `${PREFIX}${process.pid}-`))
    await chmod(dir, 0o700)
    await _restore(vault, newest, dir, { bad, holders, files, unread })
  } catch (err) {
    failure = whyOf(err)
  } finally {
    const left = dir === '' ? undefined : await _wipe(dir)
    if (left !== undefined) failure = whyOf(left)
  }
  const pass = failure === undefined && files.every((f) => f.check.ok)
  return {
    version: newest.version,
    pass,
    holders,
    bad,
    files,
    ...(unread.length > 0 ? { unread } : {}),
    ...(failure ? { failure } : {}),
    dir,
  }
}

async function _restore(
  vault: Vault,
  newest: VersionRow,
  dir: string,
  out: { bad: BadData[]; holders: string[]; files: DrilledFile[]; unread: BodyUnread[] },
): Promise<void> {
  const committed = openManifest(newest.manifest, vault.vaultId)
  const node = await vault.network()
  const named = (g: GuardianRow, what: BadData['what'], why: KithError | Why) => {
    distrust(vault, g, `${what === 'chunk' ? 'a chunk' : 'the manifest'} of version ${newest.version}`, why)
    if (!out.bad.some((b) => b.guardian === g.label && b.what === what))
      out.bad.push({ guardian: g.label, what })
  }
  // the version's manifest from every member; those that serve it as committed are the holders
  const members = vault.members()
  const served = await Promise.all(
    members.map((g) =>
      fetchManifest(node, g, vault.vaultId, newest.version, {
        log: vault.log,
        p2pLog: vault.p2pLog,
        onBad: (why) => named(g, 'manifest', whyOf(why)),
      }),
    ),
  )
  const holders: GuardianRow[] = []
  for (const [i, m] of served.entries()) {
    if (m === undefined) continue
    if (equalBytes(m.hash, committed.hash)) holders.push(members[i]!)
    else
      named(members[i]!, 'manifest', {
        code: 'VERSION_CHAIN',
        reason: `a manifest of version ${newest.version} that is not the one this coordinator committed`,
      })
  }
  out.holders.push(...holders.map((g) => g.label))
  if (holders.length === 0) throw new VersionNotServedError(newest.version)
  const keys = vault.dataKeys(newest.epoch)
  let restored: RestoredFile[]
  try {
    const body = openManifestBody(committed, keys.manifestKey)
    out.unread.push(...(body.unread ?? []))
    restored = await restoreFromGuardians({
      node,
      vaultId: vault.vaultId,
      holders,
      manifest: committed,
      body,
      dataKeys: keys,
      outDir: dir,
      onBad: (g, chunk) =>
        named(g, 'chunk', {
          code: 'CHUNK_INTEGRITY',
          reason: `chunk ${chunk.slice(0, 16)} does not match its id; not asked again`,
        }),
      p2pLog: vault.p2pLog,
    })
  } finally {
    for (const k of Object.values(keys)) k.fill(0)
  }
  const live = new Map(vault.db.sources().map((s) => [s.name, s.path]))
  // the restored hsm_secret opens the restored emergency.recover; the facts of the last backup say whose
  const hsm = restored.find((f) => f.kind === 'cln-hsm')
  const context = {
    known: vault.db.sourceFacts(),
    ...(hsm !== undefined ? { hsm: { name: hsm.source, kind: hsm.kind, path: hsm.written } } : {}),
  }
  // a carried source's files are those of the version it was last read in: compared as of that one
  const asOf = (source: string) => out.unread.find((u) => u.source === source)?.asOf ?? newest.version
  for (const f of restored)
    out.files.push(await _check(f, live.get(f.source) ?? f.origin, asOf(f.source), context))
}

/** A restored file's check, and (if it passed) how it stands against the live source. */
async function _check(
  f: RestoredFile,
  sourcePath: string,
  version: number,
  context: Parameters<typeof checkRestoredFile>[3],
): Promise<DrilledFile> {
  const source = { name: f.source, kind: f.kind }
  const base = { source: f.source, kind: f.kind, path: f.path, size: f.size }
  let facts: Awaited<ReturnType<typeof checkRestoredFile>>
  try {
    facts = await checkRestoredFile(source, f.written, 'quick', context)
  } catch (err) {
    return { ...base, check: { ok: false, ...whyOf(err) } }
  }
  // a single-file source's one file is named by its basename; a directory's by its path inside it
  const livePath = f.kind === 'dir' ? join(sourcePath, ...f.path.split('/')) : sourcePath
  const live = await compareLive(source, { path: f.written, facts }, livePath, version)
  return { ...base, check: { ok: true, summary: facts.summary }, ...live }
}

/**
 * Where restored files go: $TMPDIR where it is set; else /dev/shm (memory: the files never reach a disk)
 * where it is a directory this process may write; else the OS temp dir.
 */
export async function drillTempRoot(): Promise<string> {
  if (process.env['TMPDIR']) return tmpdir()
  const shm = '/dev/shm'
  const ok = await access(shm, constants.W_OK | constants.X_OK).then(
    async () => (await stat(shm)).isDirectory(),
    () => false,
  )
  return ok ? shm : tmpdir()
}

/** Remove what a drill that was killed (its process gone) left in `root`. */
async function _sweep(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[])
  for (const name of names) {
    const pid = Number(/^kith-drill-(\d+)-/.exec(name)?.[1] ?? 0)
    if (pid > 0 && pid !== process.pid && !processAlive(pid))
      await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined) // another user's
  }
}

/** Remove the drill's dir; the error if anything is left. */
async function _wipe(dir: string): Promise<DrillLeftoverError | undefined> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
  } catch (err) {
    return new DrillLeftoverError(dir, err)
  }
  return existsSync(dir) ? new DrillLeftoverError(dir, undefined) : undefined
}
