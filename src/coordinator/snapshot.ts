/**
 * Consistent snapshots of sources before a build. A SQLite database is copied through SQLite's online
 * backup API (never by copying a live file) into the private staging directory; other sources are
 * read in place (LND replaces channel.backup by rename, so an open file is one consistent version).
 */
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ensurePrivateDir, ensureSecretFile } from '../disk/atomic.js'
import type { SourceSpec } from '../replica/build.js'
import { InvalidSourceError } from '../replica/errors.js'
import type { SourceRow } from './store.js'

export async function snapshotSources(
  sources: readonly SourceRow[],
  stagingDir: string,
): Promise<SourceSpec[]> {
  await ensurePrivateDir(stagingDir)
  const specs: SourceSpec[] = []
  for (const s of sources) {
    if (s.kind !== 'sqlite') {
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
    specs.push({ name: s.name, kind: s.kind, path: s.path, readFrom: copy })
  }
  return specs
}
