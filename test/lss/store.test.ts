/**
 * The signer store's LSS rules on a real SQLite file, as lssd keeps them: a new key at version 0, an
 * existing one at stored + 1, every conflict of a batch named (−1 for a missing key), reads by a literal
 * prefix in UTF-8 byte order, one client never seeing another's keys; and every batch is statements
 * that, replayed on a copy as a journal entry is at recovery, give the same store.
 */
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database } from '../../src/disk/sqlite-driver.js'
import { STRANGER_READ_BUDGET, STRANGER_STREAM_COST } from '../../src/guardian/limits.js'
import { MAX_PAYLOAD } from '../../src/journal/entry.js'
import type { LssKeyValue } from '../../src/lss/auth.js'
import { MAX_BATCH_BYTES, MAX_WRITE_BYTES, SignerCore, stagedEntries } from '../../src/lss/core.js'
import {
  lssPutStatement,
  type PlannedBatch,
  SignerStore,
  vssPutStatement,
  vssSortStatement,
} from '../../src/lss/store.js'
import { fileTempDir } from '../helpers/tmp.js'

const kv = (key: string, version: number, value = key) => ({
  key,
  version: BigInt(version),
  value: new TextEncoder().encode(value),
})
const alice = Uint8Array.of(2, 0xa1)
const bob = Uint8Array.of(3, 0xb0)

describe('signer store, LSS rules', () => {
  let dir: string
  let m: SignerStore
  const batches: PlannedBatch[] = []
  const put = (client: Uint8Array, kvs: LssKeyValue[]) => {
    const b = m.plan(kvs.map((x) => lssPutStatement(client, x)))
    batches.push(b)
    m.apply(b)
  }
  beforeAll(async () => {
    dir = await fileTempDir('kith-lss-')
    m = SignerStore.open(join(dir, 'signer.sqlite3'))
    // the empty store, as a first snapshot would copy it
    m.close()
    copyFileSync(join(dir, 'signer.sqlite3'), join(dir, 'snapshot.sqlite3'))
    m = SignerStore.open(join(dir, 'signer.sqlite3'))
  })
  afterAll(() => m.close())

  it('takes new keys at version 0, then each at its stored version + 1; each batch moves data_version by one', () => {
    const batch = [kv('x1', 0), kv('x2', 0)]
    expect(m.lssConflicts(alice, batch)).toEqual([])
    put(alice, batch)
    expect(m.dataVersion()).toBe(1)
    expect(m.lssConflicts(alice, [kv('x1', 1, 'again')])).toEqual([])
    put(alice, [kv('x1', 1, 'again')])
    expect(m.lssGet(alice, 'x1')).toEqual([kv('x1', 1, 'again')])
    expect(m.dataVersion()).toBe(2)
  })

  it("lssd's own conflict case (tests/integration_test.rs do_basic_with_db): the stored value, and none for a missing key", () => {
    put(alice, [kv('x1a', 0, '\x0a'), kv('x1b', 0, '\x0b'), kv('x2b', 0, '\x14')])
    expect(m.lssGet(alice, 'x1').map((k) => [k.key, k.version])).toEqual([
      ['x1', 1n],
      ['x1a', 0n],
      ['x1b', 0n],
    ])
    expect(m.lssConflicts(alice, [kv('x1b', 0, '\x37'), kv('x1z', 22, '\x16')])).toEqual([
      kv('x1b', 0, '\x0b'),
      { key: 'x1z', version: -1n, value: new Uint8Array() },
    ])
  })

  it('reads by a literal prefix in UTF-8 byte order, and never across clients', () => {
    put(alice, [kv('x_', 0), kv('xé', 0), kv('xa', 0), kv('y', 0)])
    put(bob, [kv('x1', 0, 'bob')])
    expect(m.lssGet(alice, 'x').map((k) => k.key)).toEqual([
      'x1',
      'x1a',
      'x1b',
      'x2',
      'x2b',
      'x_',
      'xa',
      'xé',
    ])
    expect(m.lssGet(alice, 'x_').map((k) => k.key)).toEqual(['x_'])
    expect(m.lssGet(bob, '')).toEqual([kv('x1', 0, 'bob')])
    expect(m.lssGet(alice, 'z')).toEqual([])
  })

  it('keeps versions as 64-bit integers, and a quote or NUL in a key or value as data, never SQL', () => {
    put(alice, [kv('big', 0)])
    const big = { key: 'big', version: 2n ** 62n, value: Uint8Array.of(1) }
    put(alice, [big])
    expect(m.lssGet(alice, 'big')).toEqual([big])
    expect(m.lssConflicts(alice, [{ ...big, version: 2n ** 62n + 1n }])).toEqual([])
    const odd = kv("it's'); DROP TABLE lss_kv; --\u0000", 0, "'\u0000")
    put(alice, [odd])
    expect(m.lssGet(alice, 'it')).toEqual([odd])
    expect(() => m.plan([lssPutStatement(alice, { ...big, version: 2n ** 63n })])).toThrow(RangeError)
  })

  it("replaying the batches' statements on the first snapshot gives the same store (what recovery does)", () => {
    const copy = new Database(join(dir, 'snapshot.sqlite3'))
    for (const b of batches)
      copy.transaction(() => {
        for (const s of b.statements) copy.exec(s)
      })()
    const dump = (db: Database) =>
      db
        .prepare('SELECT hex(client), hex(key), version, hex(value) FROM lss_kv ORDER BY 1, 2')
        .safeIntegers()
        .all()
    const live = new Database(join(dir, 'signer.sqlite3'), { readonly: true })
    expect(dump(copy)).toEqual(dump(live))
    expect(copy.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get()).toEqual({
      intval: batches.length,
    })
    live.close()
    copy.close()
  })
})

describe('signer store, its bounds', () => {
  it('a batch fits one journal entry, and a reply to a recovering machine (a stranger) with room to spare', () => {
    expect(MAX_BATCH_BYTES).toBeLessThan(MAX_PAYLOAD)
    expect(MAX_BATCH_BYTES + 1024 * 1024 + STRANGER_STREAM_COST).toBeLessThan(STRANGER_READ_BUDGET)
  })
})

describe('signer core, a write larger than one journal entry', () => {
  it('goes as staged parts then one last entry; readers never see half of it; replayed it gives the same store', async () => {
    const dir = await fileTempDir('kith-lss-')
    const store = SignerStore.open(join(dir, 'signer.sqlite3'))
    store.close()
    copyFileSync(join(dir, 'signer.sqlite3'), join(dir, 'snapshot.sqlite3'))
    const live = SignerStore.open(join(dir, 'signer.sqlite3'))
    const graph = new Uint8Array(9 * 1024 * 1024 + 17).map((_, i) => (i * 7919) % 251)
    const seen: (number | undefined)[] = []
    const batches: PlannedBatch[] = []
    const core = new SignerCore(live, async (b) => {
      batches.push(b)
      // between entries, a reader sees the value before the write, never a part of it
      seen.push(live.vssStored('user', '', 'network_graph')?.value.length)
    })
    const put = (value: Uint8Array, version: bigint) =>
      core.exclusive(() => ({
        writes: [
          vssPutStatement('user', '', { key: 'network_graph', version, value, sort: 1n }),
          vssSortStatement(1n),
        ],
        answer: undefined,
      }))
    await put(Uint8Array.of(1, 2, 3), 1n)
    await put(graph, 1n)
    // the small write, then the graph: staged over entries of at most MAX_BATCH_BYTES, then written
    expect(batches.map((b) => b.position)).toEqual(batches.map((_, i) => i + 1))
    expect(batches.length).toBeGreaterThan(Math.ceil(graph.length / MAX_BATCH_BYTES) + 1)
    expect(batches.every((b) => b.statements.join('').length < MAX_BATCH_BYTES)).toBe(true)
    expect(seen).toEqual([undefined, ...batches.slice(1).map(() => 3)])
    // byte for byte (toEqual on 9 MiB would take minutes)
    expect(Buffer.from(live.vssStored('user', '', 'network_graph')!.value).equals(graph)).toBe(true)
    const copy = new Database(join(dir, 'snapshot.sqlite3'))
    for (const b of batches)
      copy.transaction(() => {
        for (const s of b.statements) copy.exec(s)
      })()
    const value = copy
      .prepare("SELECT value FROM vss_kv WHERE key = CAST('network_graph' AS BLOB)")
      .pluck()
      .get() as Buffer
    expect(value.equals(graph)).toBe(true)
    expect(copy.prepare('SELECT count(*) FROM staged').pluck().get()).toBe(0)
    copy.close()
    live.close()
  })

  it('a write over the most one write may carry is refused before anything is replicated', () => {
    const huge = `X'${'ab'.repeat(MAX_WRITE_BYTES + 64 * 1024)}'`
    expect(() => stagedEntries([huge], MAX_BATCH_BYTES)).toThrow(
      /BATCH_TOO_LARGE|larger than kith replicates/,
    )
  })
})

describe('signer core, many small values in one write', () => {
  it('stages the largest values until the rest fits one entry; a thousand 4 KiB objects go through', () => {
    const writes = Array.from({ length: 1000 }, (_, i) =>
      vssPutStatement('user', '', {
        key: `k${i}`,
        version: 1n,
        value: new Uint8Array(4096).fill(i % 256),
        sort: BigInt(i + 1),
      }),
    )
    const entries = stagedEntries(writes, MAX_BATCH_BYTES)
    expect(entries.length).toBeGreaterThan(2)
    expect(entries.every((e) => e.join('').length < MAX_BATCH_BYTES)).toBe(true)
    expect(entries.at(-1)!.length).toBe(1001)
  })
})
