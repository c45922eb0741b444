/**
 * Which version a recovery must restore, when the owner chose its chain after a fork (pure logic: the
 * rule of recovery/freshness.ts on signed heads). A guardian still on the other coordinator's chain, which
 * the owner's heal did not reach, shows higher version numbers of the old epoch: they must not make the
 * owner's newer-epoch version look stale, and a newer epoch's version must.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { generateSecretKey, schnorrPublicKey } from '../../src/crypto/schnorr.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import type { Tracked } from '../../src/recovery/context.js'
import { type Answer, judge } from '../../src/recovery/freshness.js'
import { type Head, signHead } from '../../src/replica/head.js'
import { signRoster } from '../../src/replica/roster.js'

const vaultKey = generateSecretKey()
const vaultId = schnorrPublicKey(vaultKey)
const head = (epoch: number, version: number): Head =>
  signHead({ vaultId, epoch, version, manifestHash: new Uint8Array(randomBytes(32)) }, vaultKey)

async function roster(n: number, w: number) {
  const guardians = await Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      peerId: peerIdBytes(peerIdFromPrivateKey(await generateKeyPair('Ed25519'))),
      addrs: [],
      label: `friend ${i}`,
    })),
  )
  return signRoster(
    { vaultId, epoch: 3, k: 2, w, commitment: new Uint8Array(32), guardians, createdAt: 0 },
    vaultKey,
  )
}

const answer = (label: string, parts: Omit<Answer, 't'>): Answer => ({
  t: { label, peerId: new Uint8Array(), addrs: [] } as unknown as Tracked,
  ...parts,
})

describe('recovery freshness across a healed fork', () => {
  it("a guardian the heal did not reach, on the twin's chain with higher versions of the old epoch, does not make the owner's version stale", async () => {
    const r = await roster(4, 2)
    const owners = head(3, 4)
    const twins = head(2, 6)
    const j = judge(
      [
        answer('friend 0', { held: owners }),
        answer('friend 1', { held: owners }),
        answer('friend 2', { held: owners }),
        answer('friend 3', { held: twins, seen: head(2, 7) }),
      ],
      r,
    )
    expect(j.best?.epoch).toBe(3)
    expect(j.best?.version).toBe(4)
    expect(j.behind).toBe(false)
    expect(j.holders.map((t) => t.label)).toEqual(['friend 0', 'friend 1', 'friend 2'])
  })

  it('a version of a newer epoch that no answering guardian holds still makes the restore stale', async () => {
    const r = await roster(4, 2)
    const j = judge(
      [
        answer('friend 0', { held: head(2, 6), seen: head(3, 1) }),
        answer('friend 1', { held: head(2, 6) }),
        answer('friend 2', { held: head(2, 6) }),
        answer('friend 3', {}),
      ],
      r,
    )
    expect(j.behind).toBe(true)
    expect(j.newest).toBe(1)
  })

  it('within one epoch the version decides, as before', async () => {
    const r = await roster(3, 2)
    const j = judge(
      [answer('friend 0', { held: head(3, 4), seen: head(3, 5) }), answer('friend 1', { held: head(3, 4) })],
      r,
    )
    expect(j.behind).toBe(true)
    expect(j.newest).toBe(5)
  })
})
