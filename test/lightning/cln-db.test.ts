/**
 * CLN database checks (src/lightning/cln-db.ts) on real SQLite files. The CLN ones are built with CLN's
 * own migration statements (ElementsProject/lightning wallet/migrations.c `dbmigrations[]`, rewritten
 * for SQLite as devtools/sql-rewrite.py does) and the statements wallet/wallet.c `wallet_sanity_check`
 * uses to claim a database for a chain and a node id.
 */
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Database } from '../../src/disk/sqlite-driver.js'
import { checkClnDatabase, checkSqliteFile } from '../../src/lightning/cln-db.js'
import { expectCode, hex, tempDir } from '../helpers/tmp.js'

/** dbmigrations[0..7]: the version, outputs, vars, shachains, peers and channels tables. */
const FIRST_MIGRATIONS = [
  'CREATE TABLE version (version INTEGER)',
  'INSERT INTO version VALUES (1)',
  'CREATE TABLE outputs (  prev_out_tx BLOB, prev_out_index INTEGER, value BIGINT, type INTEGER, status INTEGER, keyindex INTEGER, PRIMARY KEY (prev_out_tx, prev_out_index));',
  'CREATE TABLE vars (  name VARCHAR(32), val VARCHAR(255), PRIMARY KEY (name));',
  'CREATE TABLE shachains (  id BIGSERIAL, min_index BIGINT, num_valid BIGINT, PRIMARY KEY (id));',
  'CREATE TABLE shachain_known (  shachain_id BIGINT REFERENCES shachains(id) ON DELETE CASCADE, pos INTEGER, idx BIGINT, hash BLOB, PRIMARY KEY (shachain_id, pos));',
  'CREATE TABLE peers (  id BIGSERIAL, node_id BLOB UNIQUE, address TEXT, PRIMARY KEY (id));',
  'CREATE TABLE channels (  id BIGSERIAL,  peer_id BIGINT REFERENCES peers(id) ON DELETE CASCADE,  short_channel_id TEXT,  channel_config_local BIGINT,  channel_config_remote BIGINT,  state INTEGER,  funder INTEGER,  channel_flags INTEGER,  minimum_depth INTEGER,  next_index_local BIGINT,  next_index_remote BIGINT,  next_htlc_id BIGINT,  funding_tx_id BLOB,  funding_tx_outnum INTEGER,  funding_satoshi BIGINT,  funding_locked_remote INTEGER,  push_msatoshi BIGINT,  msatoshi_local BIGINT,  fundingkey_remote BLOB,  revocation_basepoint_remote BLOB,  payment_basepoint_remote BLOB,  htlc_basepoint_remote BLOB,  delayed_payment_basepoint_remote BLOB,  per_commit_remote BLOB,  old_per_commit_remote BLOB,  local_feerate_per_kw INTEGER,  remote_feerate_per_kw INTEGER,  shachain_remote_id BIGINT,  shutdown_scriptpubkey_remote BLOB,  shutdown_keyidx_local BIGINT,  last_sent_commit_state BIGINT,  last_sent_commit_id INTEGER,  last_tx BLOB,  last_sig BLOB,  closing_fee_received INTEGER,  closing_sig_received BLOB,  PRIMARY KEY (id));',
]
/** dbmigrations[108], [109] and [129]: vars gets typed columns, then the data_version counter. */
const VARS_MIGRATIONS = [
  'ALTER TABLE vars ADD COLUMN intval INTEGER',
  'ALTER TABLE vars ADD COLUMN blobval BLOB',
  "INSERT INTO vars (name, intval) VALUES ('data_version', 0);",
]

/** devtools/sql-rewrite.py Sqlite3Rewriter: the type names SQLite gets. */
const forSqlite = (q: string) =>
  q
    .replace(/BIGINT/g, 'INTEGER')
    .replace(/BIGSERIAL/g, 'INTEGER')
    .replace(/VARCHAR(?:\(\d+\))?/g, 'TEXT')

/** The node id of CLN's own test databases (tests/data/*.sqlite3.xz, node l1). */
const NODE_ID = '0266e4598d1d3c415f572a8488830b60f7e744ed9235eb0b1ba93283b315c03518'
/** Regtest's genesis block hash, as CLN stores it (internal byte order). */
const REGTEST_GENESIS = '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f'

/** A database at CLN's migration `upTo` (7: the first eight; 129: also the vars ones), as lightningd leaves it. */
function buildCln(path: string, upTo: 7 | 129, fill?: (db: Database) => void): void {
  const db = new Database(path)
  db.transaction(() => {
    for (const q of [...FIRST_MIGRATIONS, ...(upTo === 129 ? VARS_MIGRATIONS : [])]) db.exec(forSqlite(q))
    // wallet/db.c db_migrate, after the last migration
    db.prepare('UPDATE version SET version=?;').run(upTo)
    fill?.(db)
  })()
  db.close()
}

/** wallet_sanity_check's claims, then three channels of two peers: normal, awaiting lockin, closed. */
function claimAndOpen(db: Database): void {
  db.prepare("INSERT INTO vars (name, blobval) VALUES ('genesis_hash', ?);").run(hex(REGTEST_GENESIS))
  db.prepare("INSERT INTO vars (name, blobval) VALUES ('node_id', ?);").run(hex(NODE_ID))
  db.prepare("UPDATE vars SET intval = 157 WHERE name = 'data_version'").run()
  const peer = db.prepare('INSERT INTO peers (node_id, address) VALUES (?, ?)')
  const a = peer.run(hex(`02${'11'.repeat(32)}`), '127.0.0.1:9735').lastInsertRowid
  const b = peer.run(hex(`03${'22'.repeat(32)}`), '127.0.0.1:9736').lastInsertRowid
  const channel = db.prepare('INSERT INTO channels (peer_id, state) VALUES (?, ?)')
  channel.run(a, 3) // CHANNELD_NORMAL
  channel.run(b, 2) // CHANNELD_AWAITING_LOCKIN
  channel.run(b, 10) // CLOSED: lightningd no longer loads it
}

describe('CLN database', () => {
  it("reads a database of CLN's first migrations: its schema version, no node id, no channels", async () => {
    const path = join(await tempDir(), 'lightningd.sqlite3')
    buildCln(path, 7)
    expect(checkClnDatabase(path)).toEqual({ schemaVersion: 7, channels: 0 })
  })

  it('reads the node id, data_version, chain and open channels of a claimed database', async () => {
    const path = join(await tempDir(), 'lightningd.sqlite3')
    buildCln(path, 129, claimAndOpen)
    for (const integrity of ['quick', 'full'] as const) {
      const db = checkClnDatabase(path, { integrity })
      expect(db.schemaVersion).toBe(129)
      expect(Buffer.from(db.nodeId!).toString('hex')).toBe(NODE_ID)
      expect(db.channels).toBe(2)
      expect(db.dataVersion).toBe(157)
      expect(Buffer.from(db.genesisHash!).toString('hex')).toBe(REGTEST_GENESIS)
    }
    expect(checkSqliteFile(path).pageSize).toBe(4096)
  })

  it('refuses a text file, as SQLite and as CLN', async () => {
    const path = join(await tempDir(), 'notes.txt')
    await writeFile(path, 'version=286\nnode_id=02...\n'.repeat(200))
    for (const check of [checkSqliteFile, checkClnDatabase]) {
      const err = await expectCode(() => check(path, { source: 'cln' }), 'SOURCE_MISMATCH')
      expect(err.message).toBe('cln is not a SQLite database: it has no SQLite header ("SQLite format 3")')
    }
  })

  it('refuses an empty file (which SQLite itself would open as a new database)', async () => {
    const path = join(await tempDir(), 'empty.sqlite3')
    await writeFile(path, '')
    const err = await expectCode(() => checkClnDatabase(path), 'SOURCE_MISMATCH')
    expect(err.message).toBe(`${path} is not a SQLite database: it is empty`)
  })

  it('refuses a truncated database: cut inside a page, or whole pages short of its header', async () => {
    const dir = await tempDir()
    const path = join(dir, 'lightningd.sqlite3')
    buildCln(path, 129, claimAndOpen)
    const size = (await readFile(path)).length
    const midPage = join(dir, 'mid.sqlite3')
    await writeFile(midPage, (await readFile(path)).subarray(0, size - 1000))
    const err = await expectCode(() => checkClnDatabase(midPage), 'SOURCE_MISMATCH')
    expect(err.message).toContain('not whole 4096-byte pages: truncated')
    await truncate(path, size - 4096)
    const err2 = await expectCode(() => checkClnDatabase(path), 'SOURCE_MISMATCH')
    expect(err2.message).toContain(`its header says ${size / 4096}: truncated`)
    // and a cut inside the header
    await truncate(path, 50)
    await expectCode(() => checkSqliteFile(path), 'SOURCE_MISMATCH')
  })

  it('refuses a SQLite database with no version table: SQLite, not CLN', async () => {
    const path = join(await tempDir(), 'other.sqlite3')
    const db = new Database(path)
    db.exec("CREATE TABLE vars (name TEXT PRIMARY KEY, val TEXT); INSERT INTO vars VALUES ('a', 'b')")
    db.close()
    expect(checkSqliteFile(path, { integrity: 'full' }).pages).toBeGreaterThan(1)
    const err = await expectCode(() => checkClnDatabase(path, { source: 'cln-db' }), 'SOURCE_MISMATCH')
    expect(err.message).toBe(
      'cln-db is not a Core Lightning database (lightningd.sqlite3): it has no CLN schema version (no version table)',
    )
  })

  it('refuses a version table without the rest of CLN, or an empty one', async () => {
    const dir = await tempDir()
    const only = join(dir, 'only-version.sqlite3')
    const db = new Database(only)
    db.exec('CREATE TABLE version (version INTEGER); INSERT INTO version VALUES (3)')
    db.close()
    const err = await expectCode(() => checkClnDatabase(only), 'SOURCE_MISMATCH')
    expect(err.message).toContain('it has a schema version (3) but no vars table')
    const empty = join(dir, 'empty-version.sqlite3')
    buildCln(empty, 7, (d) => d.exec('DELETE FROM version'))
    const err2 = await expectCode(() => checkClnDatabase(empty), 'SOURCE_MISMATCH')
    expect(err2.message).toContain('its version table is empty')
  })

  it('refuses a damaged page: quick_check and integrity_check find it', async () => {
    const dir = await tempDir()
    const path = join(dir, 'lightningd.sqlite3')
    buildCln(path, 129, (db) => {
      claimAndOpen(db)
      const output = db.prepare('INSERT INTO outputs (prev_out_tx, prev_out_index, value) VALUES (?, ?, ?)')
      for (let i = 0; i < 2000; i++) output.run(Buffer.alloc(32, i % 251), i, 1000 + i)
    })
    expect(checkClnDatabase(path).channels).toBe(2)
    const bytes = await readFile(path)
    const pages = bytes.length / 4096
    // a page of the outputs table (or its index), well past the small tables at the start
    bytes.fill(0xff, Math.floor(pages / 2) * 4096, (Math.floor(pages / 2) + 1) * 4096)
    await writeFile(path, bytes)
    // SQLite opens it and reads its schema: only a check of every page sees the damage
    expect(checkSqliteFile(path).pages).toBe(pages)
    for (const integrity of ['quick', 'full'] as const) {
      const err = await expectCode(() => checkClnDatabase(path, { integrity }), 'SOURCE_MISMATCH')
      // quick_check lists what it found; integrity_check may stop at the first bad page (SQLITE_CORRUPT)
      expect(err.message).toMatch(
        integrity === 'quick' ? /quick_check found \d+ problems?, first: / : /integrity_check (found|failed)/,
      )
    }
  })

  it('refuses a node_id that is not a compressed public key', async () => {
    const path = join(await tempDir(), 'lightningd.sqlite3')
    buildCln(path, 129, (db) => {
      db.prepare("INSERT INTO vars (name, blobval) VALUES ('node_id', ?);").run(hex('02'.repeat(32)))
    })
    const err = await expectCode(() => checkClnDatabase(path), 'SOURCE_MISMATCH')
    expect(err.message).toContain('its vars node_id is not a 33-byte compressed public key')
  })
})
