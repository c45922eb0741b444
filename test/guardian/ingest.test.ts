import { describe, expect, it } from 'vitest'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite, fetchFromPeer, pushVersion } from '../../src/p2p/client.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { openHead } from '../../src/replica/head.js'
import { sealManifest } from '../../src/replica/manifest.js'
import { expectCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, enrollAll, localInvite, testVault } from '../helpers/vault.js'

async function startGuardians(n: number) {
  const gs: Guardian[] = []
  for (let i = 0; i < n; i++) {
    const g = new Guardian({ dataDir: await tempDir(), antiEntropyMs: 500 })
    await g.start()
    gs.push(g)
  }
  return gs
}

describe('guardian ingest (in-process, real libp2p and SQLite)', () => {
  it('enrolls by invite, takes a push, answers with a verified receipt, and gossips the head', async () => {
    const gs = await startGuardians(2)
    const node = await coordinatorNode()
    try {
      const invites = gs.map((g) => localInvite(g))
      const v = await testVault(node, invites)
      for (const [i, inv] of invites.entries()) {
        await enrollWithInvite(node, inv, {
          roster: v.roster.bytes,
          share: v.shares[i]!.bytes,
          label: 'my node',
        })
      }
      await expectCode(
        () =>
          enrollWithInvite(node, invites[0]!, {
            roster: v.roster.bytes,
            share: v.shares[0]!.bytes,
            label: 'again',
          }),
        'REMOTE_ERROR',
      ).then((e) => expect((e as unknown as { remoteCode: string }).remoteCode).toBe('INVITE_USED'))

      const dir = await tempDir()
      const v1 = await v.nextVersion(dir)
      const r = await pushVersion(node, invites[0]!, v.pushArgs(v1))
      expect(r.receipt.version).toBe(1)
      expect(r.sentChunks).toBe(1)
      const again = await pushVersion(node, invites[0]!, v.pushArgs(v1))
      expect(again.sentChunks).toBe(0)

      // the other guardian never got a push; it catches up from its peer
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion ?? 0) < 1) {
        await new Promise((res) => setTimeout(res, 100))
      }
      expect(gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion).toBe(1)
      const head = openHead(await fetchFromPeer(node, invites[1]!, v.roster.vaultId, { what: 'head' }))
      expect(head.version).toBe(1)
    } finally {
      await node.stop()
      await Promise.all(gs.map((g) => g.stop()))
    }
  })

  it('an equivocation seen by one guardian is announced and flags the vault on the others', async () => {
    const gs = await startGuardians(2)
    const node = await coordinatorNode()
    try {
      const invites = gs.map((g) => ({ peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }))
      const v = await testVault(node, invites)
      await enrollAll(node, gs, v)
      const v1 = await v.nextVersion(await tempDir())
      await pushVersion(node, invites[0]!, v.pushArgs(v1))
      await pushVersion(node, invites[1]!, v.pushArgs(v1))
      const evil = sealManifest(
        { ...v1.manifest, createdAt: 1, body: { sources: [], files: [] } },
        v.keys.manifestKey,
        v.vaultSecretKey,
      )
      const refused = await expectCode(
        () =>
          pushVersion(node, invites[0]!, {
            ...v.pushArgs(v1),
            manifest: evil.bytes,
            manifestHash: evil.hash,
          }),
        'REMOTE_ERROR',
      )
      expect((refused as unknown as { remoteCode: string }).remoteCode).toBe('EQUIVOCATION')
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && !gs[1]!.db.vaults.get(v.roster.vaultId)?.equivocation) {
        await new Promise((res) => setTimeout(res, 100))
      }
      expect(gs[0]!.db.vaults.get(v.roster.vaultId)?.equivocation).toBe(true)
      expect(gs[1]!.db.vaults.get(v.roster.vaultId)?.equivocation).toBe(true)
      expect(gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion).toBe(1)
    } finally {
      await node.stop()
      await Promise.all(gs.map((g) => g.stop()))
    }
  })
})
