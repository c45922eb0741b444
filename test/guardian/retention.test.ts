import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEFAULT_RETENTION, versionsToKeep } from '../../src/guardian/retention.js'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite } from '../../src/p2p/client.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { openManifest } from '../../src/replica/manifest.js'
import { tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, pushVersion, testVault } from '../helpers/vault.js'
import { waitUntil } from '../helpers/wait.js'

const DAY = 86_400_000
const at = (version: number, createdAt: number) => ({ version, createdAt })

describe('retention policy', () => {
  it('keeps the newest N, the last version of recent days and weeks, and always the newest', () => {
    // one version every 6 hours for 60 days
    const versions = Array.from({ length: 240 }, (_, i) => at(i + 1, Date.UTC(2026, 0, 1) + i * 6 * 3600_000))
    const keep = versionsToKeep(versions, DEFAULT_RETENTION)
    expect(keep.has(240)).toBe(true)
    for (let v = 211; v <= 240; v++) expect(keep.has(v)).toBe(true)
    // the last version of each day is version 4, 8, 12, ...; of the 14 newest days, all kept
    for (let d = 0; d < 14; d++) expect(keep.has(240 - 4 * d)).toBe(true)
    expect(keep.size).toBeLessThanOrEqual(30 + 14 + 8)
    expect(keep.has(1)).toBe(false)
  })

  it('keeps the newest even with everything set to zero', () => {
    expect([...versionsToKeep([at(1, 0), at(2, DAY)], { keepLast: 0, daily: 0, weekly: 0 })]).toEqual([2])
  })

  it('weekly points fall on Monday-to-Sunday weeks', () => {
    // Sunday 2026-01-04 and Monday 2026-01-05 are in different weeks
    const keep = versionsToKeep([at(1, Date.UTC(2026, 0, 4, 12)), at(2, Date.UTC(2026, 0, 5, 12))], {
      keepLast: 1,
      daily: 0,
      weekly: 2,
    })
    expect([...keep].sort()).toEqual([1, 2])
  })
})

/**
 * A guardian keeping the newest `keepLast` versions (no daily or weekly ones), enrolled with `quota` in
 * a 2-of-2 vault whose coordinator is `node`; `held()` lists the versions it holds.
 */
async function keepingGuardian(keepLast: number, quota?: number) {
  const g = new Guardian({
    dataDir: await tempDir(),
    antiEntropyMs: 3_600_000,
    retention: { keepLast, daily: 0, weekly: 0 },
  })
  await g.start()
  const node = await coordinatorNode()
  const ref = { peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }
  const v = await testVault(node, [ref, { peerId: peerIdBytes(node.peerId), addrs: [] }], 2, 1)
  await enrollWithInvite(node, localInvite(g, quota), {
    roster: v.roster.bytes,
    share: v.shares[0]!.bytes,
    label: 'v',
  })
  const vaultId = v.roster.vaultId
  return {
    g,
    node,
    ref,
    v,
    vaultId,
    held: () => g.db.versions.list(vaultId).map((x) => x.version),
    stop: async () => {
      await node.stop()
      await g.stop()
    },
  }
}

describe('a guardian applies retention and collects unreferenced chunks', () => {
  it('prunes old versions and their chunks, never the newest, and recounts its bytes', async () => {
    const { g, node, ref, v, vaultId, held, stop } = await keepingGuardian(3)
    try {
      const dir = await tempDir()
      for (let i = 0; i < 6; i++) await pushVersion(node, ref, v.pushArgs(await v.nextVersion(dir)))
      // retention runs once the burst of pushes is over
      await waitUntil(
        () => held().length === 3,
        () => JSON.stringify(held()),
      )
      expect(held()).toEqual([4, 5, 6])
      expect(g.db.vaults.get(vaultId)?.headVersion).toBe(6)
      const usage = g.db.versions.usage(vaultId)
      // each version of this test is one new chunk
      expect(usage.chunks).toBe(3)
      expect(g.db.vaults.get(vaultId)?.bytesStored).toBe(usage.chunkBytes + usage.manifestBytes)

      // a pruning looks only at the chunks of the versions it drops: one a kept version shares stays
      const store = g.db.versions
      const [shared] = openManifest(store.manifest(vaultId, 6)!).chunks.map((c) => c.id)
      const a = { id: new Uint8Array(randomBytes(32)), data: new Uint8Array(randomBytes(300)) }
      const b = { id: new Uint8Array(randomBytes(32)), data: new Uint8Array(randomBytes(400)) }
      store.putChunks(vaultId, [a, b])
      const version = (n: number, chunkIds: Uint8Array[]) => ({
        vaultId,
        version: n,
        epoch: 1,
        hash: new Uint8Array(randomBytes(32)),
        createdAt: Date.now(),
        manifest: new Uint8Array(100),
        head: new Uint8Array(100),
        chunkIds,
      })
      store.commit(version(7, [a.id, shared!]), Date.now())
      store.commit(version(8, [b.id]), Date.now())
      expect(store.prune(vaultId, new Set([6, 8]), Date.now())).toEqual({ versions: 3, chunks: 3 })
      expect(store.hasChunk(vaultId, shared!)).toBe(true)
      expect(store.hasChunk(vaultId, a.id)).toBe(false)
      expect(store.hasChunk(vaultId, b.id)).toBe(true)
      const after = store.usage(vaultId)
      expect(after.chunks).toBe(2)
      expect(g.db.vaults.get(vaultId)?.bytesStored).toBe(after.chunkBytes + after.manifestBytes)
    } finally {
      await stop()
    }
  })

  it('a burst of pushes is pruned once it is over; a push that needs the room the policy frees gets it at once', async () => {
    // room for three versions of 20 kB, not four: the fourth push fits only if retention runs first
    const { g, node, ref, v, vaultId, held, stop } = await keepingGuardian(2, 70_000)
    try {
      const dir = await tempDir()
      for (let i = 1; i <= 6; i++) {
        await pushVersion(node, ref, v.pushArgs(await v.nextVersion(dir, 20_000)))
        expect(g.db.vaults.get(vaultId)!.bytesStored).toBeLessThanOrEqual(70_000)
        expect(held().at(-1)).toBe(i)
      }
      await waitUntil(
        () => held().length === 2,
        () => JSON.stringify(held()),
      )
      expect(held()).toEqual([5, 6])
      const usage = g.db.versions.usage(vaultId)
      expect(g.db.vaults.get(vaultId)?.bytesStored).toBe(usage.chunkBytes + usage.manifestBytes)
    } finally {
      await stop()
    }
  })
})
