/**
 * Consistent snapshots of sources before a build. A SQLite database is copied through SQLite's online
 * backup API (never by copying a live file) into the private staging directory; other sources are
 * read in place (LND replaces channel.backup by rename, so an open file is one consistent version).
 * A CLN database followed by a live stream is marked with the position its copy includes: its
 * `data_version`, read from the copy itself, and the hash the writer's log has for that position.
 */
import { stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ensurePrivateDir, ensureSecretFile } from '../disk/atomic.js'
import type { SourceSpec } from '../replica/build.js'
import { InvalidSourceError } from '../replica/errors.js'
import type { StreamMark } from '../replica/manifest.js'
import { genesisHash } from '../stream/entry.js'
import { LocalLog, positionOf } from '../stream/local-log.js'
import { streamLogPath } from './paths.js'
import type { SourceRow } from './store.js'
import type { StreamInfo } from './stream-store.js'

export interface Snapshot {
  readonly specs: SourceSpec[]
  readonly marks: StreamMark[]
}

/** CLN's transaction counter in a copy of its database (the `vars` table). */
export function clnDataVersion(db: Database.Database): number {
  const row = db.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get() as
    | { intval: number }
    | undefined
  return row?.intval ?? 0
}

/** Where a stream stands in a copy at `dataVersion`: its position, and the hash its next entry follows. */
function _mark(vaultDir: string, vaultId: Uint8Array, stream: string, dataVersion: number): StreamMark {
  const log = LocalLog.open(streamLogPath(vaultDir, stream))
  try {
    const tip = log.tip()
    const position = tip === undefined ? dataVersion : positionOf(tip.position, dataVersion)
    return { stream, position, hash: log.hashAt(position) ?? genesisHash(vaultId, stream, position) }
  } finally {
    log.close()
  }
}

export async function snapshotSources(
  sources: readonly SourceRow[],
  stagingDir: string,
  streams: { vaultDir: string; vaultId: Uint8Array; all: readonly StreamInfo[] } = {
    vaultDir: '',
    vaultId: new Uint8Array(32),
    all: [],
  },
): Promise<Snapshot> {
  await ensurePrivateDir(stagingDir)
  const specs: SourceSpec[] = []
  const marks: StreamMark[] = []
  for (const s of sources) {
    if (s.kind !== 'sqlite' && s.kind !== 'cln-db') {
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
    const stream = streams.all.find((x) => x.source === s.name)
    if (stream !== undefined) {
      const copied = new Database(copy, { readonly: true })
      try {
        marks.push(_mark(streams.vaultDir, streams.vaultId, stream.name, clnDataVersion(copied)))
      } finally {
        copied.close()
      }
    }
    specs.push({ name: s.name, kind: s.kind, path: s.path, readFrom: copy })
  }
  return { specs, marks }
}

/** A committed version covers its streams up to its marks: the writers' logs keep only what follows. */
export function trimStreamLogs(vaultDir: string, marks: readonly StreamMark[]): void {
  for (const m of marks) {
    const log = LocalLog.open(streamLogPath(vaultDir, m.stream))
    try {
      log.trim(m.position)
    } finally {
      log.close()
    }
  }
}

/** Whether some stream's entries since its last snapshot outweigh the database it follows (compaction). */
export async function streamsNeedSnapshot(vault: {
  dir: string
  db: { streams: { all(): StreamInfo[] }; sources(): SourceRow[] }
}): Promise<boolean> {
  for (const st of vault.db.streams.all()) {
    const source = vault.db.sources().find((s) => s.name === st.source)
    const size = source ? ((await stat(source.path).catch(() => undefined))?.size ?? 0) : 0
    const log = LocalLog.open(streamLogPath(vault.dir, st.name))
    try {
      if (log.bytes() > Math.max(size, 1024 * 1024)) return true
    } finally {
      log.close()
    }
  }
  return false
}
