/**
 * An anti-entropy round (guardian/sync.ts antiEntropy), on two guardians in this process: a guardian
 * that lacks the newest version pulls it from its fellow; a vault whose fellow answers with the very
 * head held here is announced on gossip no more, and compared again only GAP rounds later (round-plan.ts;
 * a site keeps a thousand vaults), at once when its head changes; one whose fellow lacks it is announced.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { equalBytes } from '../../src/crypto/bytes.js'
import { vaultTopic } from '../../src/guardian/gossip.js'
import { GAP } from '../../src/guardian/round-plan.js'
import { Guardian } from '../../src/guardian/service.js'
import { FetchSessions } from '../../src/p2p/fetch-session.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { duration } from '../../src/time/durations.js'
import { tempDir } from '../helpers/tmp.js'
import { coordinatorNode, enrollAll, pushVersion, testVault } from '../helpers/vault.js'

let gs: Guardian[] = []
let refs: { peerId: Uint8Array; addrs: readonly string[] }[] = []
let node: KithNode

beforeAll(async () => {
  // rounds only when the test runs one
  gs = await Promise.all(
    [1, 2].map(async () => new Guardian({ dataDir: await tempDir(), antiEntropyMs: 3_600_000 })),
  )
  await Promise.all(gs.map((g) => g.start()))
  refs = gs.map((g) => ({ peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }))
  node = await coordinatorNode()
})

afterAll(async () => {
  await node.stop()
  await Promise.all(gs.map((g) => g.stop()))
})

/**
 * A vault on both guardians holding version 1 on both and version 2 on guardian 0 alone. Guardian 1
 * hears nothing on its gossip topic (its validator ignores all), so only a round can tell it of version 2.
 */
async function ahead() {
  const v = await testVault(node, refs)
  await enrollAll(node, gs, v)
  gs[1]!.node.services.pubsub!.topicValidators.set(vaultTopic(v.roster), () => TopicValidatorResult.Ignore)
  const dir = await tempDir()
  const v1 = await v.nextVersion(dir)
  for (const r of refs) await pushVersion(node, r, v.pushArgs(v1))
  await pushVersion(node, refs[0]!, v.pushArgs(await v.nextVersion(dir)))
  await announced()
  return v
}

/** The announcements of versions just taken are out (at most announceLatest after each), before a round is watched. */
const announced = () => new Promise((r) => setTimeout(r, 2 * duration('announceLatest')))

/** Heads guardian `i` publishes on gossip while `fn` runs. */
async function published(i: number, fn: () => Promise<void>): Promise<number> {
  const spy = vi.spyOn(gs[i]!.node.services.pubsub!, 'publish')
  try {
    await fn()
    return spy.mock.calls.length
  } finally {
    spy.mockRestore()
  }
}

describe('anti-entropy round', () => {
  it('pulls the version a fellow holds and this guardian lacks', async () => {
    const v = await ahead()
    expect(gs[1]!.db.vaults.require(v.roster.vaultId).headVersion).toBe(1)
    await gs[1]!.antiEntropy()
    expect(gs[1]!.db.vaults.require(v.roster.vaultId).headVersion).toBe(2)
  })

  it('announces the head of a vault whose fellow lacks it', async () => {
    await ahead()
    expect(await published(0, () => gs[0]!.antiEntropy())).toBeGreaterThan(0)
  })

  it('announces nothing when every fellow answers with the head held here', async () => {
    await ahead()
    // guardian 1 pulls what it lacks: then both hold the same heads of every vault
    await gs[1]!.antiEntropy()
    await announced()
    expect(await published(0, () => gs[0]!.antiEntropy())).toBe(0)
    expect(await published(1, () => gs[1]!.antiEntropy())).toBe(0)
  })

  it('compares a vault in step again GAP rounds later, and at once when its head changes here', async () => {
    const v = await ahead()
    await gs[1]!.antiEntropy()
    const spy = vi.spyOn(FetchSessions.prototype, 'fetch')
    /** Heads of this vault guardian 0 asks its fellow for in one round. */
    const asked = async () => {
      spy.mockClear()
      await gs[0]!.antiEntropy()
      return spy.mock.calls.filter(([, id, req]) => req.what === 'head' && equalBytes(id, v.roster.vaultId))
        .length
    }
    try {
      const rounds: number[] = []
      for (let i = 0; i <= GAP; i++) rounds.push(await asked())
      expect(rounds).toEqual([1, ...Array.from({ length: GAP - 1 }, () => 0), 1])
      await pushVersion(node, refs[0]!, v.pushArgs(await v.nextVersion(await tempDir())))
      // compared at once (the fellow lags now, so the catch-up asks for its head again)
      expect(await asked()).toBeGreaterThan(0)
    } finally {
      spy.mockRestore()
    }
  })
})
