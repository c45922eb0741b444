/**
 * One handle on a kith SQLite file: created 0600 before SQLite opens it (its WAL and SHM inherit that
 * mode; existing ones of this user are tightened to it, another user's are refused), WAL journal, synchronous=FULL, migrated to the newest schema, with prepared statements cached.
 * Stores hold a handle and add the queries of their tables (composition); several stores share one.
 */

import { existsSync } from 'node:fs'
import { ensureSecretFile } from './atomic.js'
import { migrate } from './migrate.js'
import { Database, type Statement } from './sqlite-driver.js'

/** Each database's page cache, in KiB. */
const CACHE_KIB = 4096

export class SqliteHandle {
  private readonly statements = new Map<string, Statement>()

  private constructor(readonly db: Database) {}

  /**
   * Open (creating it 0600) and migrate the database at `path`. With `secureDelete`, deleted content is
   * overwritten (for a database whose secrets are replaced by sealed forms).
   */
  static open(
    path: string,
    migrations: readonly string[],
    options: { secureDelete?: boolean; synchronous?: 'FULL' | 'NORMAL' } = {},
  ): SqliteHandle {
    ensureSecretFile(path)
    // a WAL or shared-memory file left with a wider mode (or made by someone else) holds pages too
    for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) ensureSecretFile(side)
    const db = new Database(path)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`)
      db.pragma('foreign_keys = ON')
      // a large page cache fills with a guardian's 4 MiB chunks, which a friend's small computer feels
      // (16 MB would be about 25 MB of its memory). 4 MiB holds every index.
      db.pragma(`cache_size = -${CACHE_KIB}`)
      if (options.secureDelete) db.pragma('secure_delete = ON')
      migrate(db, migrations)
    } catch (err) {
      db.close()
      throw err
    }
    return new SqliteHandle(db)
  }

  /** A statement prepared once per SQL text: preparing is a large part of a small write's cost. */
  stmt(sql: string): Statement {
    let stmt = this.statements.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql)
      this.statements.set(sql, stmt)
    }
    return stmt
  }

  /** Run `fn` as one transaction (nested calls become savepoints). */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  /**
   * Run `fn` with synchronous=NORMAL: for writes that lead to no receipt by themselves, made durable
   * by the next FULL commit (which fsyncs the WAL with every frame before it). Within a transaction,
   * the transaction's level.
   */
  withoutSync<T>(fn: () => T): T {
    // inside a transaction the level cannot change (SQLite refuses): the enclosing commit's applies
    if (this.db.inTransaction) return fn()
    this.stmt('PRAGMA synchronous = NORMAL').run()
    try {
      return fn()
    } finally {
      this.stmt('PRAGMA synchronous = FULL').run()
    }
  }

  /** Move the WAL's pages into the database and empty it (after replacing secrets). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
