/**
 * One backup run: deliver any pending roster, drain the outbox, snapshot the sources, build version v+1
 * (reusing every unchanged chunk), persist it locally before anything is sent, push it (push.ts), then
 * trim the writers' logs and the local chunks to what can still be needed. W receipts commit a version;
 * fewer leave it in the outbox for the next run. A version number is never reused.
 */

import { equalBytes, toHex } from '../crypto/bytes.js'
import { errorFields } from '../log.js'
import type { ReleaseFile } from '../release/file.js'
import { buildVersion } from '../replica/build.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import { InvalidSourceError } from '../replica/errors.js'
import { type JournalMark, openManifest, openManifestBody } from '../replica/manifest.js'
import type { ManifestBody } from '../replica/manifest-body.js'
import { encodeVaultState } from '../replica/vault-state.js'
import { duration } from '../time/durations.js'
import {
  type BuildPlan,
  type FailedSource,
  hasKeptCopy,
  type OpenedCopy,
  type PreviousVersion,
  planVersion,
} from './carry.js'
import {
  NoSourcesError,
  NotEnoughGuardiansError,
  QuorumNotReachedError,
  SourceNotReadError,
} from './errors.js'
import { probeFence } from './fence.js'
import { refuseIfFenced } from './fence-record.js'
import type { JournalInfo } from './journal-store.js'
import { startReleaseOffer } from './offer-release.js'
import { vaultPaths } from './paths.js'
import { type ByteProgress, type PushReport, pushToGuardians } from './push.js'
import { openKeptCopies, type Reopened, sweepKeptCopies } from './reseal.js'
import { snapshotSources, trimJournalLogs } from './snapshot.js'
import { deleteAnsweredRequests } from './snapshot-request.js'
import { checkEachSource } from './source-checks.js'
import { recordSourceHealth } from './source-health.js'
import type { SourceRow } from './store.js'
import type { Vault } from './vault.js'

export interface BackupReport {
  /** The outbox versions this run delivered first. */
  readonly drained: readonly PushReport[]
  /** The sources this run could not read: each kept as its last good copy, or none (carry.ts). */
  readonly failed: readonly FailedSource[]
  /** The new version, or undefined when nothing changed since the newest one. */
  readonly pushed?: PushReport
  readonly newChunks: number
  readonly bytesStored: number
  /** The newest committed version after this run (0 if none). */
  readonly committedVersion: number
}

function _sameContent(a: ManifestBody, b: ManifestBody): boolean {
  const key = (x: ManifestBody) =>
    JSON.stringify(x.files.map((f) => [f.source, f.path, f.size, f.mode, toHex(f.contentHash)]))
  // the vault state carries the journals' keys: a new writer's key must reach a committed version
  const state = (x: ManifestBody) => (x.vaultState ? toHex(x.vaultState) : '')
  // a source that stopped (or started again) being read is a new version: the newest says which is stale
  const unread = (x: ManifestBody) => JSON.stringify(x.unread ?? [])
  return (
    key(a) === key(b) &&
    JSON.stringify(a.sources) === JSON.stringify(b.sources) &&
    state(a) === state(b) &&
    unread(a) === unread(b)
  )
}

function _sameMarks(a: readonly JournalMark[], b: readonly JournalMark[]): boolean {
  const key = (x: readonly JournalMark[]) =>
    JSON.stringify(x.map((m) => [m.journal, m.position, toHex(m.hash)]))
  return key(a) === key(b)
}

/**
 * Keep locally only the chunks that can still be needed: those of the newest committed version (for
 * lagging guardians) and of every version still in the outbox. Returns the number of files deleted.
 */
export async function collectLocalChunks(vault: Vault): Promise<number> {
  const keep = new Set<string>()
  const versions = [vault.db.newestCommitted(), ...vault.db.outbox()]
  for (const v of versions) {
    if (v !== undefined) for (const c of openManifest(v.manifest, vault.vaultId).chunks) keep.add(toHex(c.id))
  }
  if (keep.size === 0) return 0
  return new DirChunkStore(vaultPaths(vault.dir).chunks).retainOnly(keep)
}

/**
 * Throw QuorumNotReachedError unless every version this run pushed (the new one and the outbox's) was
 * committed: a backup that leaves a version uncommitted has not done its job.
 */
export function requireCommitted(report: BackupReport): BackupReport {
  // an outbox version older than a committed one is passed over for good (guardians refuse it as a
  // rollback), not waiting
  const left = [...report.drained, ...(report.pushed ? [report.pushed] : [])].filter(
    (p) => !p.committed && p.version > report.committedVersion,
  )
  const p = left.at(-1)
  if (p !== undefined) throw new QuorumNotReachedError(p.version, p.receipts, p.quorum)
  return report
}

/**
 * Throw SourceNotReadError if this run could not read a source: called once what could be stored was
 * (`newest`, the version that holds the others), so the failure is said and the exit is not a success.
 */
export function requireAllRead(report: BackupReport, newest: number | undefined): BackupReport {
  if (report.failed.length > 0) throw new SourceNotReadError(report.failed, newest)
  return report
}

/**
 * The writers' logs keep only what follows the newest committed version's marks (however it committed),
 * and the snapshot requests those marks answer are deleted (a `kith vault backup` answers one too).
 */
export function trimCommitted(vault: Vault): void {
  const newest = vault.db.newestCommitted()
  if (newest === undefined) return
  const marks = openManifest(newest.manifest).marks ?? []
  trimJournalLogs(vault.dir, marks)
  const answered = deleteAnsweredRequests(vault.dir, marks)
  if (answered > 0)
    vault.log.info({ event: 'snapshot-requests-answered', count: answered, version: newest.version })
}

const committedNow = (vault: Vault) => ({ committedVersion: vault.db.newestCommitted()?.version ?? 0 })

/** Run one backup; the report says whether its new version was committed (see requireCommitted). */
export async function runBackup(
  vault: Vault,
  options: {
    timeoutMs?: number
    workers?: number
    progress?: ByteProgress
    /**
     * The kith release file to offer the guardians once committed (offer-release.ts): `vault backup` and
     * `vault watch` pass this process's own (none from source); other commands, which close the vault
     * right after, offer none.
     */
    release?: ReleaseFile | undefined
  } = {},
): Promise<BackupReport> {
  const s = vault.db.settings()
  if (s.epoch === 0) throw new NotEnoughGuardiansError(vault.db.guardians().length, Math.max(s.k, s.w))
  refuseIfFenced(vault.db)
  // each network phase gets its own deadline, so a long build never eats the push's time
  const deadline = () => AbortSignal.timeout(options.timeoutMs ?? duration('push'))
  const started = performance.now()
  vault.log.info({ event: 'backup-started', epoch: s.epoch, outbox: vault.db.outbox().length })
  await vault.deliverRosters(deadline())
  const drained: PushReport[] = []
  for (const v of vault.db.outbox())
    drained.push(await pushToGuardians(vault, v, deadline(), options.progress))
  // the guardians' push sessions open while the version is built, off the push's path
  const warming = vault
    .pushSessions()
    .then((ps) => ps.warm(vault.members(), { signal: deadline() }))
    .catch(() => undefined) // each push opens its own session then, and says why not

  const sources = vault.db.sources()
  if (sources.length === 0) throw new NoSourcesError()
  const keys = vault.dataKeys()
  const journals = vault.db.journals.all()
  const newest = vault.db.newestVersion()
  const previous = newest ? _openPrevious(vault, newest.manifest, keys.manifestKey) : undefined
  const taken = await _readSources(vault, sources, journals)
  // a source that fails, here or while the build reads it, is carried and the build made again
  const failed = new Map(taken.failed)
  // across a new data key, the failed sources' kept copies are opened to be sealed again (reseal.ts)
  const resealed = new Map<string, OpenedCopy | null>()
  const opened: Reopened[] = []
  await sweepKeptCopies(vault)
  let plan: BuildPlan
  let built: Awaited<ReturnType<typeof buildVersion>>
  try {
    for (;;) {
      const toOpen = sources.filter(
        (x) => failed.has(x.name) && !resealed.has(x.name) && hasKeptCopy(x, previous),
      )
      if (previous !== undefined && !previous.sameKey && toOpen.length > 0)
        await _reopen(vault, previous, toOpen, resealed, opened)
      const p = planVersion({
        sources,
        ...taken,
        failed,
        journals,
        vaultDir: vault.dir,
        resealed,
        ...(previous ? { previous } : {}),
      })
      plan = p
      // nothing read, or a journaled database that cannot be carried: nothing is stored
      // across a new data key a version is made all the same: the guardians release only its shares
      if (p.refused !== undefined || (p.read === 0 && previous?.sameKey !== false)) {
        recordSourceHealth(vault, p.failed)
        throw p.refused ?? new SourceNotReadError(p.failed, undefined)
      }
      try {
        built = await buildVersion({
          vaultSecretKey: vault.signingKey(),
          dataKeys: keys,
          epoch: s.epoch,
          sources: p.specs,
          store: new DirChunkStore(vaultPaths(vault.dir).chunks),
          vaultState: encodeVaultState({
            vaultKey: vault.signingKey(),
            name: s.name,
            k: s.k,
            w: s.w,
            ...(journals.length > 0 ? { journals: vault.journalKeys() } : {}),
          }),
          ...(p.marks.length > 0 ? { marks: p.marks } : {}),
          ...(p.unread.length > 0 ? { unread: p.unread } : {}),
          now: vault.now,
          ...(previous ? { previous: previous.manifest } : {}),
          ...(options.workers !== undefined ? { workers: options.workers } : {}),
        })
        break
      } catch (err) {
        const read =
          err instanceof InvalidSourceError && p.specs.some((x) => x.name === err.source && !x.carried)
        if (!read) throw err
        // a copy opened to be sealed again that cannot be read either is not kept: never tried twice
        if (failed.has(err.source)) resealed.set(err.source, null)
        else failed.set(err.source, err)
      }
    }
  } finally {
    await Promise.allSettled(opened.map((r) => r.remove()))
  }
  recordSourceHealth(vault, plan.failed)
  const marks = plan.marks
  const failures = { failed: plan.failed }
  if (
    previous &&
    previous.manifest.epoch === s.epoch &&
    _sameContent(previous.body, built.body) &&
    // a journal started again (a new writer, as on a recovered machine) needs its new mark committed
    _sameMarks(previous.manifest.marks ?? [], marks)
  ) {
    // nothing to push: a quiet old node still hears, and is stopped, if the vault was taken over
    vault.log.info({ event: 'nothing-changed', version: previous.manifest.version })
    await probeFence(vault)
    trimCommitted(vault)
    // the kith release file to the guardians, in the background (offer-release.ts): never fails nor delays it
    startReleaseOffer(vault, options.release)
    return {
      drained,
      newChunks: built.newChunks.length,
      bytesStored: built.bytesStored,
      ...failures,
      ...committedNow(vault),
    }
  }
  // persisted (its chunks are already durable on disk) before anything is sent
  const m = built.manifest
  vault.log.info({
    event: 'version-built',
    version: m.version,
    epoch: m.epoch,
    files: built.body.files.length,
    newChunks: built.newChunks.length,
    bytesStored: built.bytesStored,
    ms: Math.round(performance.now() - started),
  })
  vault.db.addVersion({
    version: m.version,
    epoch: m.epoch,
    hash: m.hash,
    manifest: m.bytes,
    createdAt: m.createdAt,
  })
  await warming
  const pushed = await pushToGuardians(vault, vault.db.newestVersion()!, deadline(), options.progress)
  trimCommitted(vault)
  const deleted = await collectLocalChunks(vault)
  vault.log.debug({ event: 'local-chunks-trimmed', deleted })
  if (pushed.committed) startReleaseOffer(vault, options.release)
  return {
    drained,
    pushed,
    newChunks: built.newChunks.length,
    bytesStored: built.bytesStored,
    ...failures,
    ...committedNow(vault),
  }
}

/**
 * Open the previous version's copies of `names` to be sealed again under the new key, into `resealed`
 * (by source; null where none could be opened: that source keeps no copy, and its line says so).
 */
async function _reopen(
  vault: Vault,
  previous: PreviousVersion,
  sources: readonly SourceRow[],
  resealed: Map<string, OpenedCopy | null>,
  opened: Reopened[],
): Promise<void> {
  const names = sources.map((x) => x.name)
  try {
    const r = await openKeptCopies(vault, previous, sources)
    opened.push(r)
    for (const n of names) resealed.set(n, r.copies.get(n) ?? null)
  } catch (err) {
    vault.log.warn({ event: 'kept-copies-not-opened', sources: names, ...errorFields(err) })
    for (const n of names) resealed.set(n, null)
  }
}

/** The newest version, opened with its own epoch's key; whether that key is still the one in force. */
function _openPrevious(vault: Vault, bytes: Uint8Array, manifestKey: Uint8Array): PreviousVersion {
  const manifest = openManifest(bytes, vault.vaultId)
  const own = vault.dataKeys(manifest.epoch).manifestKey
  return { manifest, body: openManifestBody(manifest, own), sameKey: equalBytes(own, manifestKey) }
}

/**
 * Snapshot every source and check the copies against the node's formats and what each was found to be
 * before: those that pass (their facts kept where they changed), and why each other one failed.
 */
async function _readSources(vault: Vault, sources: readonly SourceRow[], journals: readonly JournalInfo[]) {
  // each journaled database is copied with the journal position it includes, read from the copy itself
  const snapshot = await snapshotSources(sources, vaultPaths(vault.dir).staging, {
    vaultDir: vault.dir,
    vaultId: vault.vaultId,
    all: journals,
  })
  vault.log.debug({ event: 'snapshot', sources: sources.length, marks: snapshot.marks.length })
  // what is about to be backed up must be this node's: checked on the copies, before anything is built
  const known = vault.db.sourceFacts()
  const checked = await checkEachSource(snapshot.specs, { known, integrity: 'quick' })
  // written only where they changed: a watch backs up often, and the facts rarely move
  vault.db.setSourceFacts(
    new Map([...checked.facts].filter(([name, f]) => JSON.stringify(f) !== JSON.stringify(known.get(name)))),
  )
  return {
    read: snapshot.specs.filter((x) => !checked.failed.has(x.name)),
    marks: snapshot.marks,
    failed: new Map([...snapshot.failed, ...checked.failed]),
  }
}
