/**
 * The peer index of the rosters a guardian follows (guardian/members.ts): it names a peer exactly where
 * a walk over every roster with access.ts `allowed` would, as rosters are added, replaced and removed.
 * The gate in front of every connection and stream asks it (a site keeps a thousand vaults).
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateSecretKey, schnorrPublicKey } from '../../src/crypto/schnorr.js'
import { allowed } from '../../src/guardian/access.js'
import { RosterMembers } from '../../src/guardian/members.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { type Roster, signRoster } from '../../src/replica/roster.js'

const peers: PeerId[] = await Promise.all(
  Array.from({ length: 6 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))),
)

/** A signed roster of vault `v` naming peers[coordinator] and peers[guardians…]. */
const vaultKeys = Array.from({ length: 4 }, () => generateSecretKey())
function roster(
  v: number,
  coordinator: number,
  guardians: readonly number[],
  addrs: (g: number) => string[] = () => [],
): Roster {
  return signRoster(
    {
      vaultId: schnorrPublicKey(vaultKeys[v]!),
      epoch: 1,
      k: 2,
      w: 2,
      commitment: new Uint8Array(randomBytes(32)),
      coordinator: peerIdBytes(peers[coordinator]!),
      guardians: guardians.map((g) => ({ peerId: peerIdBytes(peers[g]!), addrs: addrs(g), label: `g${g}` })),
      createdAt: 1,
    },
    vaultKeys[v]!,
  )
}

describe('RosterMembers', () => {
  it('names a coordinator as coordinator and member, a guardian as member only', () => {
    const m = new RosterMembers()
    m.add('t0', roster(0, 0, [1, 2]))
    expect(m.names(peerIdBytes(peers[0]!), 'coordinator')).toBe(true)
    expect(m.names(peerIdBytes(peers[0]!), 'members')).toBe(true)
    expect(m.names(peerIdBytes(peers[1]!), 'coordinator')).toBe(false)
    expect(m.names(peerIdBytes(peers[1]!), 'members')).toBe(true)
    expect(m.names(peerIdBytes(peers[5]!), 'members')).toBe(false)
  })

  it('forgets a removed roster, and keeps what another roster still names', () => {
    const m = new RosterMembers()
    const a = roster(0, 0, [1, 2])
    m.add('t0', a)
    m.add('t1', roster(1, 3, [1, 4]))
    m.remove('t0', a)
    expect(m.names(peerIdBytes(peers[0]!), 'members')).toBe(false)
    expect(m.names(peerIdBytes(peers[2]!), 'members')).toBe(false)
    expect(m.names(peerIdBytes(peers[1]!), 'members')).toBe(true)
    expect(m.naming(peerIdBytes(peers[1]!), 'members').map((r) => r.vaultId)).toEqual([
      schnorrPublicKey(vaultKeys[1]!),
    ])
  })

  it('knows the hosts its rosters give for their guardians, while any roster still gives them', () => {
    const m = new RosterMembers()
    const at = (g: number) =>
      g === 1
        ? ['/ip4/198.51.100.7/tcp/4646', '/ip4/198.51.100.7/udp/4646/quic-v1', '/ip6/2001:db8::7/tcp/4646']
        : g === 2
          ? ['/dns4/friend.example/tcp/4646', 'not an address']
          : [`/ip4/198.51.100.${10 + g}/tcp/4646`]
    const a = roster(0, 0, [1, 2], at)
    m.add('t0', a)
    m.add('t1', roster(1, 3, [1, 4], at))
    for (const host of ['198.51.100.7', '2001:db8::7', '198.51.100.14']) expect(m.namesHost(host)).toBe(true)
    // a name is no host, nor is what does not parse, nor a neighbour in the same /24
    for (const host of ['friend.example', '198.51.100.8', '']) expect(m.namesHost(host)).toBe(false)
    m.remove('t0', a)
    // guardian 1 is still in vault 1's roster
    expect(m.namesHost('198.51.100.7')).toBe(true)
    m.remove('t1', roster(1, 3, [1, 4], at))
    expect(m.namesHost('198.51.100.7')).toBe(false)
    expect(m.namesHost('198.51.100.14')).toBe(false)
  })

  it('agrees with a walk over every roster, for any rosters added and removed', () => {
    const step = fc.record({
      v: fc.integer({ min: 0, max: 3 }),
      coordinator: fc.integer({ min: 0, max: 5 }),
      guardians: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 4 }),
      remove: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        const m = new RosterMembers()
        const kept = new Map<string, Roster>()
        for (const s of steps) {
          const topic = `t${s.v}`
          const old = kept.get(topic)
          if (old !== undefined) m.remove(topic, old)
          kept.delete(topic)
          if (s.remove) continue
          const r = roster(s.v, s.coordinator, s.guardians)
          m.add(topic, r)
          kept.set(topic, r)
        }
        for (const p of peers)
          for (const allow of ['coordinator', 'members'] as const) {
            const walked = [...kept.values()].filter((r) => allowed(r, p, allow))
            expect(m.names(peerIdBytes(p), allow)).toBe(walked.length > 0)
            expect(new Set(m.naming(peerIdBytes(p), allow))).toEqual(new Set(walked))
          }
      }),
      { numRuns: 60 },
    )
  })
})
