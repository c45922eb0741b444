/**
 * SQLite through Node's own `node:sqlite`: no native module to compile or download at install, and one
 * SQLite the release executable carries inside Node. A thin layer gives kith's code the calls it uses:
 * rows whose blobs are Buffers, nested transactions as savepoints, `pragma`, a first-column `pluck`,
 * 64-bit integers on request, the online backup, and errors that carry SQLite's code by name
 * (SQLITE_BUSY, SQLITE_FULL…).
 */

import { existsSync } from 'node:fs'
import { backup, DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { duration } from '../time/durations.js'

/** SQLite's primary result codes by number (the low byte of an extended code). */
const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
}

/** An error SQLite returned: `code` is its primary result code's name, `errcode` the extended number. */
export class SqliteError extends Error {
  override readonly name = 'SqliteError'
  constructor(
    message: string,
    readonly code: string,
    readonly errcode: number,
  ) {
    super(message)
  }
}

/** node:sqlite's error as a SqliteError; anything else (a bad argument, a JavaScript error) as it is. */
function _translate(err: unknown): unknown {
  if (!(err instanceof Error) || Reflect.get(err, 'code') !== 'ERR_SQLITE_ERROR') return err
  const errcode = Number(Reflect.get(err, 'errcode'))
  const code = CODE_NAMES[errcode & 0xff] ?? `SQLITE_${errcode}`
  return Object.assign(new SqliteError(err.message, code, errcode), { cause: err })
}

function _guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw _translate(err)
  }
}

/** A row with each blob as a Buffer (a view of the same bytes, not a copy) and a plain prototype. */
function _row(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key in row) {
    const v = row[key]
    out[key] = v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v
  }
  return out
}

function _value(v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v
}

type Params = readonly unknown[]

/** A transaction's result, refused if it is a promise: its work would run after the COMMIT. */
function _synchronous<T>(result: T): T {
  if (typeof (result as { then?: unknown } | null)?.then === 'function')
    throw new TypeError('a transaction function must not be async: its work would run outside it')
  return result
}

/** A prepared statement. */
export class Statement {
  private plucked = false

  constructor(private readonly stmt: StatementSync) {}

  /** Rows give their first column's value alone (for this statement, from now on). */
  pluck(on = true): this {
    this.plucked = on
    return this
  }

  /** Integers are read as bigints (every one, at full 64 bits) for this statement, from now on. */
  safeIntegers(on = true): this {
    this.stmt.setReadBigInts(on)
    return this
  }

  /** Rows as arrays of their columns' values (for this statement, from now on). */
  raw(on = true): this {
    this.stmt.setReturnArrays(on)
    return this
  }

  run(...params: Params): { changes: number; lastInsertRowid: number | bigint } {
    const r = _guard(() => this.stmt.run(...(params as SQLInputValue[])))
    return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid }
  }

  get(...params: Params): unknown {
    const row = _guard(() => this.stmt.get(...(params as SQLInputValue[])))
    return row === undefined ? undefined : this._shape(row)
  }

  all(...params: Params): unknown[] {
    return _guard(() => this.stmt.all(...(params as SQLInputValue[]))).map((r) => this._shape(r))
  }

  *iterate(...params: Params): IterableIterator<unknown> {
    const it = _guard(() => this.stmt.iterate(...(params as SQLInputValue[])))
    try {
      for (;;) {
        const next = _guard(() => it.next())
        if (next.done === true) return
        yield this._shape(next.value as Record<string, unknown>)
      }
    } finally {
      // a caller that stops early (break, an exception) resets the statement: an active one would hold
      // the connection's read snapshot open, and with it the WAL, which could no longer be checkpointed
      it.return?.()
    }
  }

  private _shape(row: unknown): unknown {
    if (Array.isArray(row)) return row.map(_value)
    const r = row as Record<string, unknown>
    if (this.plucked) {
      for (const key in r) return _value(r[key])
      return undefined
    }
    return _row(r)
  }
}

export interface OpenOptions {
  readonly readonly?: boolean
  /** Refuse a missing file instead of creating it. */
  readonly fileMustExist?: boolean
  /** Milliseconds a statement waits on another connection's lock (5000 by default). */
  readonly timeout?: number
}

/** One connection to a SQLite file. */
export class Database {
  private readonly db: DatabaseSync
  private savepoints = 0

  constructor(
    readonly name: string,
    options: OpenOptions = {},
  ) {
    if (options.fileMustExist === true && !existsSync(name))
      throw new SqliteError(`unable to open database file: ${name} does not exist`, 'SQLITE_CANTOPEN', 14)
    this.db = _guard(
      () =>
        new DatabaseSync(name, {
          readOnly: options.readonly === true,
          timeout: options.timeout ?? duration('sqliteBusy'),
          // foreign keys enforced, as better-sqlite3 built SQLite (SQLITE_DEFAULT_FOREIGN_KEYS=1) and as
          // CLN opens its database (PRAGMA foreign_keys = ON, for its cascading deletes): a replayed CLN
          // transaction must delete what lightningd's deleted
          enableForeignKeyConstraints: true,
          enableDoubleQuotedStringLiterals: false,
        }),
    )
  }

  get open(): boolean {
    return this.db.isOpen
  }

  get inTransaction(): boolean {
    return this.db.isTransaction
  }

  prepare(sql: string): Statement {
    return new Statement(_guard(() => this.db.prepare(sql)))
  }

  exec(sql: string): this {
    _guard(() => this.db.exec(sql))
    return this
  }

  /** A pragma's rows; with `simple`, the first column of its first row. */
  pragma(text: string, options: { simple?: boolean } = {}): unknown {
    const rows = _guard(() => this.db.prepare(`PRAGMA ${text}`).all())
    if (options.simple !== true) return rows.map(_row)
    const first = rows[0]
    if (first === undefined) return undefined
    for (const key in first) return _value(first[key])
    return undefined
  }

  /**
   * `fn` as a function that runs it in one transaction: committed when it returns, rolled back when it
   * throws. Called inside another transaction it is a savepoint of it, undone alone when it throws.
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return (...args: A): T => {
      if (this.db.isTransaction) return this._savepoint(() => fn(...args))
      this.exec('BEGIN')
      try {
        const result = _synchronous(fn(...args))
        // a COMMIT that fails (a full disk, a deferred constraint) may leave the transaction open: it is
        // rolled back below, never left to swallow every later write as a savepoint of it
        this.exec('COMMIT')
        return result
      } catch (err) {
        if (this.db.isTransaction) this.exec('ROLLBACK')
        throw err
      }
    }
  }

  private _savepoint<T>(fn: () => T): T {
    const name = `kith_${++this.savepoints}`
    this.exec(`SAVEPOINT ${name}`)
    try {
      const result = _synchronous(fn())
      this.exec(`RELEASE ${name}`)
      return result
    } catch (err) {
      if (this.db.isTransaction) this.exec(`ROLLBACK TO ${name}; RELEASE ${name}`)
      throw err
    } finally {
      this.savepoints--
    }
  }

  /** A consistent copy of the whole database at `path` (SQLite's online backup), while others write. */
  async backup(path: string): Promise<void> {
    try {
      await backup(this.db, path)
    } catch (err) {
      throw _translate(err)
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }
}
