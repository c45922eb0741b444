/**
 * The outbox: versions built and not yet committed. One left uncommitted below a newer committed version
 * (a coordinator killed mid-push while a guardian caught up on the newer one by gossip) is superseded:
 * it is never sent again and never keeps the vault's status degraded.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CoordinatorStore } from '../../src/coordinator/store.js'
import { tempDir } from '../helpers/tmp.js'

const version = (n: number) => ({
  version: n,
  epoch: 1,
  hash: new Uint8Array(randomBytes(32)),
  manifest: new Uint8Array(randomBytes(64)),
  createdAt: n,
})
const guardian = () => new Uint8Array(randomBytes(38))

describe('the outbox', () => {
  it('holds every version newer than the newest committed, oldest first', async () => {
    const db = CoordinatorStore.open(join(await tempDir(), 'vault.sqlite3'))
    try {
      for (const n of [1, 2, 3]) db.addVersion(version(n))
      expect(db.outbox().map((v) => v.version)).toEqual([1, 2, 3])
      db.addReceipt(1, guardian(), new Uint8Array(8), 1, 10)
      expect(db.outbox().map((v) => v.version)).toEqual([2, 3])
    } finally {
      db.close()
    }
  })

  it('drops a version left behind by a newer committed one, for good', async () => {
    const db = CoordinatorStore.open(join(await tempDir(), 'vault.sqlite3'))
    try {
      for (const n of [1, 2, 3, 4]) db.addVersion(version(n))
      db.addReceipt(1, guardian(), new Uint8Array(8), 1, 10)
      // version 4 committed before versions 2 and 3 ever did
      const [a, b] = [guardian(), guardian()]
      db.addReceipt(4, a, new Uint8Array(8), 2, 20)
      db.addReceipt(4, b, new Uint8Array(8), 2, 21)
      expect(db.newestCommitted()?.version).toBe(4)
      expect(db.outbox()).toEqual([])
      // the rows themselves stay: nothing is renumbered or lost from the history
      expect([1, 2, 3, 4].map((n) => db.version(n)?.version)).toEqual([1, 2, 3, 4])
      db.addVersion(version(5))
      expect(db.outbox().map((v) => v.version)).toEqual([5])
    } finally {
      db.close()
    }
  })
})
