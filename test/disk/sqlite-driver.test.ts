/**
 * The SQLite layer over node:sqlite keeps the promises better-sqlite3 kept for kith's code: a transaction
 * is whole or nothing (also when its COMMIT fails), a savepoint undone alone, an iteration stopped early
 * holds no snapshot, foreign keys cascade as in CLN's own database, and errors carry SQLite's code.
 */
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { Database, SqliteError } from '../../src/disk/sqlite-driver.js'
import { tempDir } from '../helpers/tmp.js'

describe('the SQLite layer', () => {
  let path: string
  let db: Database

  beforeEach(async () => {
    path = join(await tempDir(), 'd.sqlite3')
    db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)')
    return () => db.close()
  })

  it('an iteration stopped early leaves no read open: another connection writes, and the WAL checkpoints whole', () => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(100, i))
    const rows = db.prepare('SELECT id, v FROM t ORDER BY id')
    for (const row of rows.iterate()) {
      expect(Buffer.isBuffer((row as { v: unknown }).v)).toBe(true)
      break
    }
    const other = new Database(path)
    other.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.alloc(1))
    other.close()
    // this connection sees the new row (no stale snapshot), and nothing holds the WAL
    expect(db.prepare('SELECT count(*) AS n FROM t').pluck().get()).toBe(101)
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }])
  })

  it('a COMMIT that fails leaves no transaction open; the next one commits', () => {
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`)
    const bad = db.transaction(() => db.prepare('INSERT INTO child (p) VALUES (7)').run())
    expect(bad).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT' }))
    expect(db.inTransaction).toBe(false)
    db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.alloc(1)))()
    expect(db.inTransaction).toBe(false)
    const other = new Database(path, { readonly: true })
    expect(other.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1)
    expect(other.prepare('SELECT count(*) FROM child').pluck().get()).toBe(0)
    other.close()
  })

  it('a savepoint that throws is undone alone; the transaction around it commits the rest', () => {
    const add = (n: number) => db.prepare('INSERT INTO t (id) VALUES (?)').run(n)
    db.transaction(() => {
      add(1)
      try {
        db.transaction(() => {
          add(2)
          throw new Error('inner')
        })()
      } catch {
        // the caller goes on without the inner writes
      }
      add(3)
    })()
    expect(db.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 3])
  })

  it('an async transaction function is refused and nothing of it is committed', () => {
    const run = db.transaction(() => {
      db.prepare('INSERT INTO t (id) VALUES (1)').run()
      return Promise.resolve()
    })
    expect(run).toThrow(/must not be async/)
    expect(db.inTransaction).toBe(false)
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0)
  })

  it('foreign keys cascade, as CLN opens its database', () => {
    db.exec(`CREATE TABLE shachains (id INTEGER PRIMARY KEY);
      CREATE TABLE shachain_known (shachain_id INTEGER REFERENCES shachains (id) ON DELETE CASCADE)`)
    db.exec('INSERT INTO shachains VALUES (1); INSERT INTO shachain_known VALUES (1)')
    db.exec('DELETE FROM shachains')
    expect(db.prepare('SELECT count(*) FROM shachain_known').pluck().get()).toBe(0)
  })

  it("another connection's exclusive lock is SQLITE_BUSY by name; a missing file that must exist, SQLITE_CANTOPEN", () => {
    const holder = new Database(path)
    holder.exec('BEGIN EXCLUSIVE')
    const taker = new Database(path, { timeout: 0 })
    // in WAL a reader is never blocked: a writer is
    expect(() => taker.prepare('INSERT INTO t (id) VALUES (9)').run()).toThrow(
      expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_BUSY' }),
    )
    holder.exec('ROLLBACK')
    holder.close()
    taker.close()
    expect(() => new Database(join(path, '..', 'missing.sqlite3'), { fileMustExist: true })).toThrow(
      SqliteError,
    )
  })
})
