import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Guardian } from '../../src/guardian/service.js'
import { sendRoster } from '../../src/p2p/client.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { remoteCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, enrollAll, pushVersion, testVault } from '../helpers/vault.js'

let gs: Guardian[] = []
let refs: { peerId: Uint8Array; addrs: readonly string[] }[] = []
let node: KithNode
/** The guardians' clock, moved on by hand to end a removal's grace period. */
let clock = Date.now()

beforeAll(async () => {
  gs = await Promise.all(
    [1, 2].map(
      async () =>
        new Guardian({
          dataDir: await tempDir(),
          antiEntropyMs: 3_600_000,
          removalGraceMs: 86_400_000,
          now: () => clock,
        }),
    ),
  )
  await Promise.all(gs.map((g) => g.start()))
  refs = gs.map((g) => ({
    peerId: peerIdBytes(g.node.peerId),
    addrs: g.addrs,
  }))
  node = await coordinatorNode()
})

afterAll(async () => {
  await node.stop()
  await Promise.all(gs.map((g) => g.stop()))
})

beforeEach(() => {
  clock = Date.now()
})

async function enrolled() {
  const v = await testVault(node, refs)
  await enrollAll(node, gs, v)
  return v
}

describe('roster updates', () => {
  it('a higher epoch replaces a lower one and fences pushes from the old epoch', async () => {
    const v = await enrolled()
    const dir = await tempDir()
    const old = await v.nextVersion(dir)
    const next = await v.rosterAt(2, refs)
    await Promise.all(
      gs.map((_, i) =>
        sendRoster(node, refs[i]!, { roster: next.roster.bytes, share: next.shares[i]!.bytes }),
      ),
    )
    expect(gs.map((g) => g.db.vaults.get(v.roster.vaultId)?.epoch)).toEqual([2, 2])
    // sending the same roster again changes nothing; an older one is refused
    await sendRoster(node, refs[0]!, { roster: next.roster.bytes, share: next.shares[0]!.bytes })
    expect(
      await remoteCode(() =>
        sendRoster(node, refs[0]!, { roster: v.roster.bytes, share: v.shares[0]!.bytes }),
      ),
    ).toBe('STALE_EPOCH')
    // a version built in epoch 1 is fenced; one in epoch 2 is taken
    expect(await remoteCode(() => pushVersion(node, refs[0]!, v.pushArgs(old)))).toBe('STALE_EPOCH')
    v.setEpoch(2)
    expect((await pushVersion(node, refs[0]!, v.pushArgs(await v.nextVersion(dir)))).receipt.epoch).toBe(2)
  })

  it('a guardian the new roster leaves out keeps the vault through the grace period, then deletes all but evidence and audit', async () => {
    const v = await enrolled()
    const vaultId = v.roster.vaultId
    await pushVersion(node, refs[1]!, v.pushArgs(await v.nextVersion(await tempDir())))
    const db = gs[1]!.db
    // evidence of a fork this guardian once saw (never deleted by a roster)
    db.versions.recordEquivocation(
      { vaultId, version: 9, heldHead: new Uint8Array(90).fill(1), offeredHead: new Uint8Array(90).fill(2) },
      clock,
    )
    const replacement = {
      peerId: peerIdBytes((await createKithNode({ privateKey: await generateKeyPair('Ed25519') })).peerId),
      addrs: [],
    }
    const next = await v.rosterAt(2, [refs[0]!, replacement])
    await sendRoster(node, refs[1]!, { roster: next.roster.bytes })
    await sendRoster(node, refs[1]!, { roster: next.roster.bytes }) // a second delivery changes nothing
    expect(db.vaults.get(vaultId)?.removal).toEqual({ epoch: 2, at: clock + 86_400_000, kept: false })
    clock += 86_400_000 - 1
    await gs[1]!.antiEntropy()
    expect(db.versions.usage(vaultId).chunks).toBeGreaterThan(0)
    clock += 1
    await gs[1]!.antiEntropy()
    expect(db.vaults.get(vaultId)).toBeUndefined()
    expect(db.versions.usage(vaultId).chunks).toBe(0)
    expect(db.versions.evidence(vaultId)).toHaveLength(1)
    expect(db.audit.kinds()).toEqual(
      expect.arrayContaining(['enrolled', 'removal-scheduled', 'vault-removed']),
    )
  })

  it('a later roster naming a fenced coordinator again lifts its fence', async () => {
    const v = await enrolled()
    const other = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    try {
      const taken = await v.rosterAt(2, refs, other)
      await sendRoster(other, refs[0]!, { roster: taken.roster.bytes, share: taken.shares[0]!.bytes })
      v.setEpoch(2)
      const dir = await tempDir()
      const fencedOut = v.pushArgs(await v.nextVersion(dir))
      expect(await remoteCode(() => pushVersion(node, refs[0]!, fencedOut))).toBe('FENCED')
      const back = await v.rosterAt(3, refs)
      await sendRoster(node, refs[0]!, { roster: back.roster.bytes, share: back.shares[0]!.bytes })
      v.setEpoch(3)
      expect((await pushVersion(node, refs[0]!, v.pushArgs(await v.nextVersion(dir)))).receipt.epoch).toBe(3)
    } finally {
      await other.stop()
    }
  })

  it('refuses a roster without a share for a guardian it names, or presented by another peer', async () => {
    const v = await enrolled()
    const next = await v.rosterAt(2, refs)
    expect(await remoteCode(() => sendRoster(node, refs[0]!, { roster: next.roster.bytes }))).toBe(
      'ROSTER_MISMATCH',
    )
    const stranger = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    try {
      expect(
        await remoteCode(() =>
          sendRoster(stranger, refs[0]!, { roster: next.roster.bytes, share: next.shares[0]!.bytes }),
        ),
      ).toBe('ROSTER_MISMATCH')
    } finally {
      await stranger.stop()
    }
    expect(gs[0]!.db.vaults.get(v.roster.vaultId)?.epoch).toBe(1)
  })
})
