/**
 * What a backup does with a source it could not read (docs/format.md §Manifest body, Unread): the new
 * version lists that source's files of the previous version unchanged, marked as of the version they
 * were read in, and for a database a journal continues, that version's mark, so recovery replays the
 * journal from where the kept copy stands. With no copy to keep, the source is listed without files.
 * It never records a source as newer than it is, and never carries a journaled database whose writer's
 * log no longer continues from the kept mark (a writer started again): that backup fails as a whole. A
 * copy sealed under a data key the vault has replaced since is sealed again under the new one, from
 * this coordinator's own chunks (reseal.ts); if that cannot be done, no copy is kept, and that is said.
 */
import { equalBytes } from '../crypto/bytes.js'
import { KithError, thrownText } from '../errors.js'
import { LocalLog } from '../journal/local-log.js'
import type { SourceSpec } from '../replica/build.js'
import { InvalidSourceError } from '../replica/errors.js'
import type { JournalMark, Manifest } from '../replica/manifest.js'
import type { BodyUnread, ManifestBody, SourceKind } from '../replica/manifest-body.js'
import type { JournalInfo } from './journal-store.js'
import { journalLogPath } from './paths.js'
import type { SourceRow } from './store.js'

/** A source a backup could not read: why, and which copy of it the guardians keep. */
export interface FailedSource {
  readonly source: string
  readonly kind: SourceKind
  /** The error's stable code (SOURCE_MISMATCH, INVALID_SOURCE, …). */
  readonly code: string
  /** Its one line. */
  readonly reason: string
  /** The version whose copy of it the newest version keeps, and when that was made; absent: none. */
  readonly asOf?: { readonly version: number; readonly at: number }
}

/** What the next version is made of: every source in the vault's order, read or carried. */
export interface BuildPlan {
  readonly specs: SourceSpec[]
  readonly marks: JournalMark[]
  readonly unread: BodyUnread[]
  readonly failed: FailedSource[]
  /** How many sources were read for this version. */
  readonly read: number
  /** Why no version may be made: a journaled database that cannot be carried (its own error). */
  readonly refused?: KithError
}

/** A kept copy opened to be sealed again (reseal.ts): where to read it, and what its files were. */
export interface OpenedCopy {
  /** The file (or, for a `dir` source, the folder) to read instead of the source. */
  readonly readFrom: string
  /** Each file's mode and mtime as the version that read it recorded them, by path in the source. */
  readonly recorded: ReadonlyMap<string, { readonly mode: number; readonly mtime: number }>
}

/** The previous version, opened, and whether its chunks are sealed under the data key in force now. */
export interface PreviousVersion {
  readonly manifest: Manifest
  readonly body: ManifestBody
  readonly sameKey: boolean
}

/** Any failure to read a source as a KithError with a code (a file system error is INVALID_SOURCE). */
export function sourceError(source: string, err: unknown): KithError {
  if (err instanceof KithError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return new InvalidSourceError(
    source,
    typeof code === 'string' ? `cannot read it (${code})` : thrownText(err),
  )
}

/** A code as the body's `unread` field takes it: a stable code, or INVALID_SOURCE. */
const _code = (code: string) => (/^[A-Z0-9_]{1,64}$/.test(code) ? code : 'INVALID_SOURCE')

/** Whether the writer's log still continues from `mark`: the entry (or base) it names is the one there. */
function _logContinues(vaultDir: string, mark: JournalMark): boolean {
  const log = LocalLog.open(journalLogPath(vaultDir, mark.journal))
  try {
    const hash = log.hashAt(mark.position)
    return hash !== undefined && equalBytes(hash, mark.hash)
  } finally {
    log.close()
  }
}

/** Whether the previous version has a copy of `s` to keep (made from the same path and kind). */
export const hasKeptCopy = (s: SourceRow, previous: PreviousVersion | undefined): boolean =>
  _keptCopy(s, previous) !== undefined

/** The previous version's copy of `s`, if it has one made from the same path and kind (under either key). */
function _keptCopy(s: SourceRow, previous: PreviousVersion | undefined) {
  if (previous === undefined) return undefined
  const was = previous.body.sources.find((x) => x.name === s.name)
  if (was === undefined || was.kind !== s.kind || was.origin !== s.path) return undefined
  const unread = previous.body.unread?.find((u) => u.source === s.name)
  // a source the previous version already had no copy of still has none
  if (unread?.asOf === 0) return undefined
  return {
    files: previous.body.files.filter((f) => f.source === s.name),
    asOf: unread
      ? { version: unread.asOf, at: unread.asOfTime }
      : { version: previous.manifest.version, at: previous.manifest.createdAt },
  }
}

/**
 * The plan of the next version: each source read (`read`, with its journal's mark in `marks`) as it is;
 * each failed one carried from `previous` or left without files. A journaled database that cannot be
 * carried with its mark is `refused` (its own error): no version may be made.
 */
export function planVersion(args: {
  readonly sources: readonly SourceRow[]
  readonly read: readonly SourceSpec[]
  readonly marks: readonly JournalMark[]
  readonly failed: ReadonlyMap<string, unknown>
  readonly previous?: PreviousVersion
  readonly journals: readonly JournalInfo[]
  readonly vaultDir: string
  /**
   * Kept copies opened from under a replaced data key, to be sealed again (reseal.ts), by source; null
   * where the copy could not be opened (then none is kept).
   */
  readonly resealed?: ReadonlyMap<string, OpenedCopy | null>
}): BuildPlan {
  const read = new Map(args.read.map((s) => [s.name, s]))
  const plan = { specs: [] as SourceSpec[], marks: [] as JournalMark[], unread: [] as BodyUnread[] }
  const failed: FailedSource[] = []
  let count = 0
  let refused: KithError | undefined
  for (const s of args.sources) {
    const journal = args.journals.find((j) => j.source === s.name)
    const fresh = read.get(s.name)
    if (fresh !== undefined && !args.failed.has(s.name)) {
      plan.specs.push(fresh)
      const mark = journal && args.marks.find((m) => m.journal === journal.name)
      if (mark !== undefined) plan.marks.push(mark)
      count++
      continue
    }
    const err = sourceError(s.name, args.failed.get(s.name) ?? new InvalidSourceError(s.name, 'not read'))
    // a copy sealed under a data key the vault has replaced is kept only sealed again (the guardians
    // release only the new key's shares): read from where reseal.ts opened it, else it is not kept
    const acrossKeys = args.previous?.sameKey === false
    const opened = acrossKeys ? (args.resealed?.get(s.name) ?? undefined) : undefined
    const kept = acrossKeys && opened === undefined ? undefined : _keptCopy(s, args.previous)
    const mark = journal && args.previous?.manifest.marks?.find((m) => m.journal === journal.name)
    failed.push({
      source: s.name,
      kind: s.kind,
      code: err.code,
      reason: err.message,
      ...(kept !== undefined ? { asOf: kept.asOf } : {}),
    })
    // a journal's entries after the kept mark are what recovery replays: carried only if the log goes on
    // from that mark (a writer started again, as at install, has no such entries: nothing is stored)
    if (
      journal !== undefined &&
      (kept === undefined || mark === undefined || !_logContinues(args.vaultDir, mark))
    ) {
      refused ??= err
      continue
    }
    plan.specs.push(
      opened !== undefined && kept !== undefined
        ? { name: s.name, kind: s.kind, path: s.path, readFrom: opened.readFrom, recorded: opened.recorded }
        : { name: s.name, kind: s.kind, path: s.path, carried: kept?.files ?? [] },
    )
    if (mark !== undefined) plan.marks.push(mark)
    plan.unread.push({
      source: s.name,
      asOf: kept?.asOf.version ?? 0,
      asOfTime: kept?.asOf.at ?? 0,
      code: _code(err.code),
    })
  }
  return { ...plan, failed, read: count, ...(refused !== undefined ? { refused } : {}) }
}
