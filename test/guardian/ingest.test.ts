/**
 * Guardian ingest in-process (real libp2p and SQLite): enroll by invite, a push answered with a verified
 * receipt, a repeated push that sends nothing, gossip catch-up (of many chunks too), and an equivocation
 * announced to the other guardians.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite, fetchFromPeer } from '../../src/p2p/client.js'
import type { Invite } from '../../src/p2p/invite.js'
import type { KithNode } from '../../src/p2p/node.js'
import { openHead } from '../../src/replica/head.js'
import { sealManifest } from '../../src/replica/manifest.js'
import { fileTempDir, remoteCode } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, pushVersion, testVault } from '../helpers/vault.js'
import { waitUntil } from '../helpers/wait.js'

const stop: (() => unknown)[] = []
afterAll(async () => {
  for (const s of stop) await s()
})

async function startGuardians(n: number) {
  const gs: Guardian[] = []
  for (let i = 0; i < n; i++) {
    const g = new Guardian({ dataDir: await fileTempDir(), antiEntropyMs: 500 })
    await g.start()
    stop.push(() => g.stop())
    gs.push(g)
  }
  return gs
}

describe('guardian ingest', () => {
  let gs: Guardian[]
  let node: KithNode
  let invites: Invite[]
  let v: Awaited<ReturnType<typeof testVault>>
  let v1: Awaited<ReturnType<typeof v.nextVersion>>

  beforeAll(async () => {
    gs = await startGuardians(2)
    node = await coordinatorNode()
    stop.push(() => node.stop())
    invites = gs.map((g) => localInvite(g))
    v = await testVault(node, invites)
  })

  it('enrolls by invite', async () => {
    for (const [i, inv] of invites.entries())
      await enrollWithInvite(node, inv, {
        roster: v.roster.bytes,
        share: v.shares[i]!.bytes,
        label: 'my node',
      })
    for (const g of gs) expect(g.db.vaults.get(v.roster.vaultId)?.label).toBe('my node')
  })

  it('an invite binds one vault, once', async () => {
    const again = () =>
      enrollWithInvite(node, invites[0]!, {
        roster: v.roster.bytes,
        share: v.shares[0]!.bytes,
        label: 'again',
      })
    expect(await remoteCode(again)).toBe('INVITE_USED')
  })

  it('takes a push and answers with a verified receipt', async () => {
    v1 = await v.nextVersion(await fileTempDir())
    const r = await pushVersion(node, invites[0]!, v.pushArgs(v1))
    expect(r.receipt.version).toBe(1)
    expect(r.sentChunks).toBe(1)
  })

  it('a repeated push needs no chunk', async () => {
    expect((await pushVersion(node, invites[0]!, v.pushArgs(v1))).sentChunks).toBe(0)
  })

  it('the guardian that got no push catches up from its peer by gossip', async () => {
    await waitUntil(() => (gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion ?? 0) >= 1)
    const head = openHead(await fetchFromPeer(node, invites[1]!, v.roster.vaultId, { what: 'head' }))
    expect(head.version).toBe(1)
  })

  it('a second manifest for a held version is refused as EQUIVOCATION', async () => {
    const evil = sealManifest(
      { ...v1.manifest, createdAt: 1, body: { sources: [], files: [] } },
      v.keys.manifestKey,
      v.vaultSecretKey,
    )
    const push = () =>
      pushVersion(node, invites[0]!, { ...v.pushArgs(v1), manifest: evil.bytes, manifestHash: evil.hash })
    expect(await remoteCode(push)).toBe('EQUIVOCATION')
    expect(gs[0]!.db.vaults.get(v.roster.vaultId)?.equivocation).toBe(true)
  })

  it('the evidence is announced and flags the vault on the other guardian too, which keeps its version', async () => {
    await waitUntil(() => gs[1]!.db.vaults.get(v.roster.vaultId)?.equivocation === true)
    expect(gs[1]!.db.versions.evidence(v.roster.vaultId)).toHaveLength(1)
    expect(gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion).toBe(1)
  })
})

describe('guardian catch-up of a large version', () => {
  it('the lagging guardian takes every chunk of a version larger than it asks ahead', async () => {
    const gs = await startGuardians(2)
    const node = await coordinatorNode()
    stop.push(() => node.stop())
    const invites = gs.map((g) => localInvite(g))
    const v = await testVault(node, invites)
    for (const [i, inv] of invites.entries())
      await enrollWithInvite(node, inv, { roster: v.roster.bytes, share: v.shares[i]!.bytes, label: 'big' })
    const v1 = await v.nextVersion(await fileTempDir(), 12 * 1024 * 1024)
    const ids = v1.manifest.chunks.map((c) => c.id)
    expect(ids.length).toBeGreaterThan(5) // more than the catch-up asks ahead
    // only the first guardian gets the push; the second hears the head by gossip and fetches the rest
    await pushVersion(node, invites[0]!, v.pushArgs(v1))
    await waitUntil(() => (gs[1]!.db.vaults.get(v.roster.vaultId)?.headVersion ?? 0) >= 1)
    expect(ids.every((id) => gs[1]!.db.versions.hasChunk(v.roster.vaultId, id))).toBe(true)
    expect(Buffer.from(gs[1]!.db.versions.manifest(v.roster.vaultId, 1)!)).toEqual(
      Buffer.from(v1.manifest.bytes),
    )
  })
})
