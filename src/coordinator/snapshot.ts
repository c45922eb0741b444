/**
 * Consistent snapshots of sources before a build. A SQLite database is copied through SQLite's online
 * backup API (never by copying a live file) into the private staging directory; other sources are
 * read in place (LND replaces channel.backup by rename, so an open file is one consistent version).
 * A CLN database followed by a journal is marked with the position its copy includes: its
 * `data_version`, read from the copy itself, and the hash the writer's log has for that position.
 */
import { stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ensurePrivateDir, ensureSecretFile } from '../disk/atomic.js'
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
}

/** CLN's transaction counter in a copy of its database (the `vars` table). */
export function clnDataVersion(db: Database.Database): number {
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
  for (const s of sources) {
    if (s.kind !== 'sqlite' && s.kind !== 'cln-db' && s.kind !== 'signer-store') {
      specs.push({ name: s.name, kind: s.kind, path: s.path })
      continue
    }
    const copy = join(stagingDir, `${s.name}.sqlite3`)
    // a snapshot left by an earlier run is replaced; usually there is none
    await unlink(copy).catch(() => undefined)
    ensureSecretFile(copy)
    let db: Database.Database
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
    const journal = journals.all.find((x) => x.source === s.name)
    if (journal !== undefined) {
      const copied = new Database(copy, { readonly: true })
      try {
        marks.push(_mark(journals.vaultDir, journals.vaultId, journal.name, clnDataVersion(copied)))
      } finally {
        copied.close()
      }
    }
    specs.push({ name: s.name, kind: s.kind, path: s.path, readFrom: copy })
  }
  return { specs, marks }
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
