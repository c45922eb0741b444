/**
 * The LSS mirror's rules on a real SQLite file, as lssd keeps them: a new key at version 0, an existing
 * one at stored + 1, a batch all or nothing with every conflict named (−1 for a missing key), reads by a
 * literal prefix in UTF-8 byte order, one client never seeing another's keys.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LssMirror } from '../../src/lss/mirror.js'
import { fileTempDir } from '../helpers/tmp.js'

const kv = (key: string, version: number, value = key) => ({
  key,
  version: BigInt(version),
  value: new TextEncoder().encode(value),
})
const alice = Uint8Array.of(2, 0xa1)
const bob = Uint8Array.of(3, 0xb0)

describe('LSS mirror', () => {
  let m: LssMirror
  beforeAll(async () => {
    m = LssMirror.open(join(await fileTempDir('kith-lss-'), 'lss.sqlite3'))
  })
  afterAll(() => m.close())

  it('takes new keys at version 0, then each at its stored version + 1', () => {
    const batch = [kv('x1', 0), kv('x2', 0)]
    expect(m.conflicts(alice, batch)).toEqual([])
    m.apply(alice, batch)
    expect(m.conflicts(alice, [kv('x1', 1, 'again')])).toEqual([])
    m.apply(alice, [kv('x1', 1, 'again')])
    expect(m.get(alice, 'x1')).toEqual([kv('x1', 1, 'again')])
  })

  it('names every conflict of a batch with what is stored (−1 and no value for a missing key); nothing is applied', () => {
    const batch = [kv('x1', 1), kv('x2', 0), kv('new', 3)]
    expect(m.conflicts(alice, batch)).toEqual([
      kv('x1', 1, 'again'),
      kv('x2', 0, 'x2'),
      { key: 'new', version: -1n, value: new Uint8Array() },
    ])
    expect(m.get(alice, '')).toEqual([kv('x1', 1, 'again'), kv('x2', 0)])
  })

  it('reads by a literal prefix in UTF-8 byte order, and never across clients', () => {
    m.apply(alice, [kv('x_', 0), kv('xé', 0), kv('xa', 0), kv('y', 0)])
    m.apply(bob, [kv('x1', 0, 'bob')])
    expect(m.get(alice, 'x').map((k) => k.key)).toEqual(['x1', 'x2', 'x_', 'xa', 'xé'])
    expect(m.get(alice, 'x_').map((k) => k.key)).toEqual(['x_'])
    expect(m.get(bob, '')).toEqual([kv('x1', 0, 'bob')])
    expect(m.get(alice, 'z')).toEqual([])
  })

  it('keeps versions as 64-bit integers', () => {
    m.apply(alice, [kv('big', 0)])
    const big = { key: 'big', version: 2n ** 62n, value: Uint8Array.of(1) }
    m.apply(alice, [big])
    expect(m.get(alice, 'big')).toEqual([big])
    expect(m.conflicts(alice, [{ ...big, version: 2n ** 62n + 1n }])).toEqual([])
  })
})
