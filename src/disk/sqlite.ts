/**
 * A kith SQLite file: created 0600 before SQLite opens it (its WAL and SHM inherit that mode), WAL
 * journal, synchronous=FULL, migrated to the newest schema, with prepared statements cached.
 * Subclasses add the queries of their own schema.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3'
import { ensureSecretFile } from './atomic.js'
import { migrate } from './migrate.js'

export class SqliteFile {
  private readonly statements = new Map<string, Statement>()

  protected constructor(readonly db: Db) {}

  /** Open (creating it 0600) and migrate the database at `path`. */
  protected static openDatabase(path: string, migrations: readonly string[]): Db {
    ensureSecretFile(path)
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    migrate(db, migrations)
    return db
  }

  /** A statement prepared once per SQL text: preparing is a large part of a small write's cost. */
  protected _stmt(sql: string): Statement {
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

  close(): void {
    if (this.db.open) this.db.close()
  }
}
