/**
 * Whether a file is a SQLite database at all (`checkSqliteFile`), and whether it is Core Lightning's
 * (`checkClnDatabase`), read as lightningd reads it (docs/format.md §Lightning node files), following
 * ElementsProject/lightning:
 * - db/exec.c `db_get_version`: the schema version is `SELECT version FROM version LIMIT 1`, the number
 *   of the last migration applied (wallet/migrations.c `dbmigrations[]`; wallet/db.c `db_migrate` sets it);
 * - db/exec.c `db_data_version_get`: `vars` row `data_version` (intval) counts committed write
 *   transactions, the `db_write` hook's data_version; it is not a schema version;
 * - wallet/wallet.c `wallet_sanity_check`: `vars` row `node_id` (blobval, 33 bytes) is the node's own id,
 *   claimed at lightningd's first start since v22.11 and compared with hsmd's at every start; `genesis_hash`
 *   (blobval, 32 bytes, internal byte order) names the chain;
 * - wallet/wallet.c `wallet_channels_load_active`: the channels lightningd loads are those whose state is not
 *   CLOSED (10, lightningd/channel_state.h); `channels.peer_id` is a row of `peers`, whose node_id is the
 *   peer's, never ours.
 * Opened read-only. Integrity is `PRAGMA quick_check` unless asked for `integrity_check`: quick_check reads
 * every page and row in O(N) and finds torn, truncated and malformed pages; integrity_check also matches
 * every index against its table and checks UNIQUE, in O(N log N) (about 6x slower on a 140 MB database),
 * minutes on a node of several GB, while it holds a read lock lightningd's next commit waits behind
 * (lightningd gives up after 60 s and stops). Check a copy (coordinator/snapshot.ts), not the live file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { Database, SqliteError } from '../disk/sqlite-driver.js'
import { SourceMismatchError } from './errors.js'

const SQLITE_MAGIC = 'SQLite format 3\0'
const HEADER = 100
/** lightningd/channel_state.h: the final state, of channels lightningd no longer loads. */
const CLN_CHANNEL_CLOSED = 10
const NODE_ID_LENGTH = 33
const GENESIS_HASH_LENGTH = 32

const SQLITE_WHAT = 'a SQLite database'
const CLN_WHAT = 'a Core Lightning database (lightningd.sqlite3)'

/** How thoroughly to check: `quick` (PRAGMA quick_check), `full` (integrity_check) or `none`. */
export type IntegrityCheck = 'quick' | 'full' | 'none'

export interface SqliteFile {
  readonly pageSize: number
  /** Pages, from the header where it is current, else from the file's size. */
  readonly pages: number
}

export interface ClnDatabase {
  /** The last migration applied (`version` table). */
  readonly schemaVersion: number
  /** The node's own id (`vars` node_id, 33 bytes): absent in a database no lightningd ≥ v22.11 has opened. */
  readonly nodeId?: Uint8Array
  /** The channels lightningd loads (not CLOSED). */
  readonly channels: number
  /** Committed write transactions (`vars` data_version): absent before CLN kept it. */
  readonly dataVersion?: number
  /** The chain's genesis block hash as CLN stores it (internal byte order), where it is a blob. */
  readonly genesisHash?: Uint8Array
}

export interface CheckOptions {
  /** How the file is named in a refusal (a source name or a path); the path by default. */
  readonly source?: string
  readonly integrity?: IntegrityCheck
}

/** Header, magic and length: what can be known before SQLite opens it. */
function _header(path: string, refuse: (reason: string) => never): SqliteFile {
  const fd = openSync(path, 'r')
  let size: number
  const header = Buffer.alloc(HEADER)
  let read: number
  try {
    size = fstatSync(fd).size
    read = readSync(fd, header, 0, HEADER, 0)
  } finally {
    closeSync(fd)
  }
  if (size === 0) refuse('it is empty')
  if (read < HEADER || header.toString('latin1', 0, 16) !== SQLITE_MAGIC)
    refuse('it has no SQLite header ("SQLite format 3")')
  const raw = header.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    refuse(`its header names a page size of ${raw}`)
  // the header's page count is current only when its "version valid for" equals the change counter
  const headerPages = header.readUInt32BE(28)
  const current = headerPages > 0 && header.readUInt32BE(92) === header.readUInt32BE(24)
  if (size % pageSize !== 0) refuse(`it is ${size} bytes, not whole ${pageSize}-byte pages: truncated`)
  if (current && size < headerPages * pageSize)
    refuse(`it is ${size / pageSize} pages; its header says ${headerPages}: truncated`)
  return { pageSize, pages: current ? headerPages : size / pageSize }
}

/** Open read-only and read the schema; a SQLite error becomes a refusal naming its code. */
function _open(path: string, refuse: (reason: string) => never): Database {
  let db: Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return db
  } catch (err) {
    db?.close()
    refuse(`SQLite cannot read it (${_sqliteCode(err)})`)
  }
}

const _sqliteCode = (err: unknown): string =>
  err instanceof SqliteError ? err.code : err instanceof Error ? err.name : 'unknown error'

function _integrity(db: Database, check: IntegrityCheck, refuse: (reason: string) => never): void {
  if (check === 'none') return
  const pragma = check === 'full' ? 'integrity_check' : 'quick_check'
  let rows: string[]
  try {
    // at most 10 problems: the first says enough
    rows = (db.pragma(`${pragma}(10)`) as Record<string, string>[]).map((r) => String(Object.values(r)[0]))
  } catch (err) {
    refuse(`${pragma} failed (${_sqliteCode(err)})`)
  }
  if (rows.length === 1 && rows[0] === 'ok') return
  // SQLite's lines name tables, indexes, pages and rows, never a value; one, bounded
  const first = (rows[0] ?? '').slice(0, 200)
  const count =
    rows.length >= 10 ? '10 or more problems' : rows.length === 1 ? '1 problem' : `${rows.length} problems`
  refuse(`${pragma} found ${count}, first: ${first}`)
}

/**
 * Is `path` a SQLite database at all: the header's magic, a page size SQLite allows, whole pages and no
 * fewer than the header says, and SQLite opens it read-only and reads its schema. `integrity` (default
 * `none`) also runs quick_check or integrity_check. Throws SourceMismatchError.
 */
export function checkSqliteFile(path: string, options: CheckOptions = {}): SqliteFile {
  const refuse = (reason: string): never => {
    throw new SourceMismatchError(options.source ?? path, reason, SQLITE_WHAT)
  }
  const file = _header(path, refuse)
  const db = _open(path, refuse)
  try {
    _integrity(db, options.integrity ?? 'none', refuse)
  } finally {
    db.close()
  }
  return file
}

/**
 * Is `path` Core Lightning's database: a SQLite file (`checkSqliteFile`) that passes `integrity`
 * (default `quick`), with CLN's schema version, its `vars` and `channels` tables, and, where it names one,
 * a node id that is a compressed public key. Throws SourceMismatchError.
 */
export function checkClnDatabase(path: string, options: CheckOptions = {}): ClnDatabase {
  const refuse = (reason: string): never => {
    throw new SourceMismatchError(options.source ?? path, reason, CLN_WHAT)
  }
  // not SQLite at all is said as such
  const notSqlite = (reason: string): never => {
    throw new SourceMismatchError(options.source ?? path, reason, SQLITE_WHAT)
  }
  _header(path, notSqlite)
  const db = _open(path, notSqlite)
  try {
    _integrity(db, options.integrity ?? 'quick', refuse)
    const columns = (table: string): Set<string> =>
      new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name))
    const version = columns('version')
    if (!version.has('version')) refuse('it has no CLN schema version (no version table)')
    const row = db.prepare('SELECT version FROM version LIMIT 1').get() as { version: unknown } | undefined
    if (row === undefined) refuse('it has no CLN schema version (its version table is empty)')
    const schemaVersion = row!.version
    if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 0)
      refuse('its schema version is not a whole number')
    const vars = columns('vars')
    if (!vars.has('name')) refuse(`it has a schema version (${schemaVersion}) but no vars table`)
    if (!columns('channels').has('state'))
      refuse(`it has a schema version (${schemaVersion}) but no channels table`)
    /** A `vars` row's value in `column`: undefined when the column or the row is not there. */
    const varOf = (name: string, column: 'blobval' | 'intval'): { value: unknown } | undefined => {
      if (!vars.has(column)) return undefined
      const r = db.prepare(`SELECT ${column} AS value FROM vars WHERE name = ?`).get(name)
      return r as { value: unknown } | undefined
    }
    let nodeId: Uint8Array | undefined
    const id = varOf('node_id', 'blobval')
    if (id !== undefined) {
      // lightningd asserts 33 bytes when it reads it (db/bindings.c db_col_node_id)
      const v = id.value
      if (!(v instanceof Uint8Array) || v.length !== NODE_ID_LENGTH || (v[0] !== 2 && v[0] !== 3))
        refuse('its vars node_id is not a 33-byte compressed public key')
      nodeId = new Uint8Array(v as Uint8Array)
    }
    const genesis = varOf('genesis_hash', 'blobval')?.value
    const dataVersion = varOf('data_version', 'intval')?.value
    const open = db.prepare('SELECT count(*) AS n FROM channels WHERE state != ?').get(CLN_CHANNEL_CLOSED)
    return {
      schemaVersion: schemaVersion as number,
      channels: (open as { n: number }).n,
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(typeof dataVersion === 'number' ? { dataVersion } : {}),
      ...(genesis instanceof Uint8Array && genesis.length === GENESIS_HASH_LENGTH
        ? { genesisHash: new Uint8Array(genesis) }
        : {}),
    }
  } finally {
    db.close()
  }
}
