/**
 * Consistent snapshots of sources before a build. A SQLite database is copied through SQLite's online
 * backup API (never by copying a live file) into the private staging directory; other sources are
 * read in place (LND replaces channel.backup by rename, so an open file is one consistent version),
 * after a look that they are there and of their type. A CLN database followed by a journal is marked
 * with the position its copy includes: its `data_version`, read from the copy itself, and the hash the
 * writer's log has for that position. A source that cannot be taken is said in `failed`, never stops
 * the others, and gives no spec and no mark.
 */
import { stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ensurePrivateDir, ensureSecretFile } from '../disk/atomic.js'
import { Database } from '../disk/sqlite-driver.js'
import { genesisHash } from '../journal/entry.js'
import { LocalLog, positionOf } from '../journal/local-log.js'
import type { SourceSpec } from '../replica/build.js'
import { InvalidSourceError } from '../replica/errors.js'
import type { JournalMark } from '../replica/manifest.js'
import type { JournalInfo } from './journal-store.js'
import { journalLogPath } from './paths.js'
import type { SourceRow } from './store.js'

export interface Snapshot {
  readonly specs: SourceSpec[]
  readonly marks: JournalMark[]
  /** Why each source that could not be taken failed, by name. */
  readonly failed: Map<string, unknown>
}

/** CLN's transaction counter in a copy of its database (the `vars` table). */
export function clnDataVersion(db: Database): number {
  const row = db.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get() as
    | { intval: number }
    | undefined
  return row?.intval ?? 0
}

/** Where a journal stands in a copy at `dataVersion`: its position, and the hash its next entry follows. */
function _mark(vaultDir: string, vaultId: Uint8Array, journal: string, dataVersion: number): JournalMark {
  const log = LocalLog.open(journalLogPath(vaultDir, journal))
  try {
    const tip = log.tip()
    const position = tip === undefined ? dataVersion : positionOf(tip.position, dataVersion)
    return { journal, position, hash: log.hashAt(position) ?? genesisHash(vaultId, journal, position) }
  } finally {
    log.close()
  }
}

export async function snapshotSources(
  sources: readonly SourceRow[],
  stagingDir: string,
  journals: { vaultDir: string; vaultId: Uint8Array; all: readonly JournalInfo[] } = {
    vaultDir: '',
    vaultId: new Uint8Array(32),
    all: [],
  },
): Promise<Snapshot> {
  await ensurePrivateDir(stagingDir)
  const specs: SourceSpec[] = []
  const marks: JournalMark[] = []
  const failed = new Map<string, unknown>()
  for (const s of sources) {
    try {
      const taken = await _take(s, stagingDir, journals)
      specs.push(taken.spec)
      if (taken.mark !== undefined) marks.push(taken.mark)
    } catch (err) {
      failed.set(s.name, err)
    }
  }
  return { specs, marks, failed }
}

/** One source: its spec to read, and the mark of its journal if one continues it. */
async function _take(
  s: SourceRow,
  stagingDir: string,
  journals: { vaultDir: string; vaultId: Uint8Array; all: readonly JournalInfo[] },
): Promise<{ spec: SourceSpec; mark?: JournalMark }> {
  if (s.kind !== 'sqlite' && s.kind !== 'cln-db' && s.kind !== 'signer-store') {
    // read in place at the build: gone or of the wrong type is said now, before anything is read
    const st = await stat(s.path).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code
      throw new InvalidSourceError(
        s.name,
        `cannot read ${s.path} (${typeof code === 'string' ? code : 'EIO'})`,
      )
    })
    if ((s.kind === 'dir') !== st.isDirectory())
      throw new InvalidSourceError(
        s.name,
        `${s.path} is ${s.kind === 'dir' ? 'not a directory' : 'not a file'} now`,
      )
    return { spec: { name: s.name, kind: s.kind, path: s.path } }
  }
  const copy = join(stagingDir, `${s.name}.sqlite3`)
  // a snapshot left by an earlier run is replaced; usually there is none
  await unlink(copy).catch(() => undefined)
  ensureSecretFile(copy)
  let db: Database
  try {
    db = new Database(s.path, { readonly: true, fileMustExist: true })
  } catch {
    throw new InvalidSourceError(s.name, `cannot open ${s.path} as a SQLite database`)
  }
  try {
    await db.backup(copy)
  } catch (err) {
    throw new InvalidSourceError(s.name, `SQLite backup failed: ${(err as Error).message}`)
  } finally {
    db.close()
  }
  const spec: SourceSpec = { name: s.name, kind: s.kind, path: s.path, readFrom: copy }
  const journal = journals.all.find((x) => x.source === s.name)
  if (journal === undefined) return { spec }
  const copied = new Database(copy, { readonly: true })
  let dataVersion: number
  try {
    dataVersion = clnDataVersion(copied)
  } catch {
    throw new InvalidSourceError(s.name, 'its copy has no data_version to mark (no vars table)')
  } finally {
    copied.close()
  }
  return { spec, mark: _mark(journals.vaultDir, journals.vaultId, journal.name, dataVersion) }
}

/** A committed version covers its journals up to its marks: the writers' logs keep only what follows. */
export function trimJournalLogs(vaultDir: string, marks: readonly JournalMark[]): void {
  for (const m of marks) {
    const log = LocalLog.open(journalLogPath(vaultDir, m.journal))
    try {
      log.trim(m.position)
    } finally {
      log.close()
    }
  }
}

/** Whether some journal's entries since its last snapshot outweigh the database it follows (compaction). */
export async function journalsNeedSnapshot(vault: {
  dir: string
  db: { journals: { all(): JournalInfo[] }; sources(): SourceRow[] }
}): Promise<boolean> {
  for (const j of vault.db.journals.all()) {
    const source = vault.db.sources().find((s) => s.name === j.source)
    const size = source ? ((await stat(source.path).catch(() => undefined))?.size ?? 0) : 0
    const log = LocalLog.open(journalLogPath(vault.dir, j.name))
    try {
      if (log.bytes() > Math.max(size, 1024 * 1024)) return true
    } finally {
      log.close()
    }
  }
  return false
}
