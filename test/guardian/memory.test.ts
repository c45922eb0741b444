/**
 * The guardian's one memory budget (guardian/memory.ts), from the side of peers that try to take more
 * than their share: a member's many streams, a vault's invented guardians, a fellow guardian beside the
 * vault's own coordinator, several vaults at once, and strangers beside flooding members. A property:
 * whatever leases do, no account ever holds more than its cap, and what is given back adds up.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MEMBER_STREAM_COST, MEMORY_SHARES, STRANGER_STREAM_COST } from '../../src/guardian/limits.js'
import { type MemoryAccount, MemoryBudget, type MemoryLease } from '../../src/guardian/memory.js'
import { MSG } from '../../src/p2p/messages.js'
import { expectCode } from '../helpers/tmp.js'

const MiB = 1024 * 1024
const vault = (n: number) => new Uint8Array(32).fill(n)

/** Open streams for `peer` and hold `message` bytes on each, until the budget refuses; the leases kept. */
function flood(budget: MemoryBudget, peer: string, vaults: Uint8Array[], message: number): MemoryLease[] {
  const leases: MemoryLease[] = []
  for (;;) {
    let lease: MemoryLease
    try {
      lease = budget.streamLease(peer, vaults)
    } catch {
      return leases
    }
    leases.push(lease)
    try {
      lease.hold(message)
    } catch {
      return leases
    }
  }
}

describe('the memory budget, against members that take all they can', () => {
  it("one member's many streams: refused GUARDIAN_BUSY once its own share is held", async () => {
    const budget = new MemoryBudget()
    const leases = flood(budget, 'attacker', [vault(1)], MSG.entry.maxBytes)
    expect(leases.length).toBeGreaterThan(1)
    expect(budget.held('peer:attacker')).toBeLessThanOrEqual(MEMORY_SHARES.peer)
    expect(budget.held('peer:attacker')).toBeGreaterThan(MEMORY_SHARES.peer - MSG.entry.maxBytes - MiB * 2)
    await expectCode(
      () => budget.streamLease('attacker', [vault(1)]).hold(MSG.entry.maxBytes),
      'GUARDIAN_BUSY',
    )
  })

  it("a fellow guardian at its cap leaves the vault's own coordinator room for the largest offer", () => {
    const budget = new MemoryBudget()
    flood(budget, 'fellow', [vault(1)], MSG.chunk.maxBytes)
    const coordinator = budget.streamLease('coordinator', [vault(1)])
    expect(() => coordinator.hold(MSG.offer.maxBytes)).not.toThrow()
  })

  it("a vault's invented guardians share the vault's one share", () => {
    const budget = new MemoryBudget()
    for (let i = 0; i < 50; i++) flood(budget, `invented-${i}`, [vault(1)], MSG.chunk.maxBytes)
    expect(budget.held(`vault:${'01'.repeat(32)}`)).toBeLessThanOrEqual(MEMORY_SHARES.vault)
    expect(budget.held()).toBeLessThanOrEqual(MEMORY_SHARES.vault)
    // another vault's coordinator is served as if nothing happened
    expect(() => budget.streamLease('other', [vault(2)]).hold(MSG.offer.maxBytes)).not.toThrow()
  })

  it("a guardian of two vaults is charged to the one with room: one vault's flood does not refuse it", () => {
    const budget = new MemoryBudget()
    for (let i = 0; i < 4; i++) flood(budget, `invented-${i}`, [vault(1)], MSG.chunk.maxBytes)
    const fellow = budget.streamLease('fellow', [vault(1), vault(2)])
    expect(fellow.accounts.map((a: MemoryAccount) => a.key)).toContain(`vault:${'02'.repeat(32)}`)
    expect(() => fellow.hold(MSG.chunk.maxBytes)).not.toThrow()
  })

  it('all members together hold at most their total, and strangers keep their own pool beside them', async () => {
    const budget = new MemoryBudget()
    for (let v = 1; v <= 5; v++)
      for (let i = 0; i < 3; i++) flood(budget, `v${v}-${i}`, [vault(v)], MSG.chunk.maxBytes)
    expect(budget.held('members')).toBeLessThanOrEqual(MEMORY_SHARES.members)
    await expectCode(() => budget.streamLease('late', [vault(9)]), 'GUARDIAN_BUSY')
    // a recovery from a new machine is a stranger: its streams still get in
    const stranger = budget.streamLease('new-machine', [])
    expect(() => stranger.hold(MSG.recover.maxBytes)).not.toThrow()
    expect(budget.held()).toBeLessThanOrEqual(MEMORY_SHARES.members + MEMORY_SHARES.strangers)
  })

  it("a stream's opening costs what its peer can make it hold unread", () => {
    const budget = new MemoryBudget()
    budget.streamLease('member', [vault(1)])
    budget.streamLease('stranger', [])
    expect(budget.held('peer:member')).toBe(MEMBER_STREAM_COST)
    expect(budget.held('strangers')).toBe(STRANGER_STREAM_COST)
  })

  it('a lease that ends gives back all it held, and the budget forgets empty accounts', () => {
    const budget = new MemoryBudget()
    const a = budget.streamLease('member', [vault(1)])
    a.hold(5 * MiB)
    a.free(2 * MiB)
    a.free(100 * MiB) // more than it holds gives back only what it holds
    a.hold(3 * MiB)
    a.end()
    a.end()
    expect(budget.held()).toBe(0)
    expect(budget.held('peer:member')).toBe(0)
  })

  it('property: whatever leases hold and free, no account passes its cap, and what is held adds up', () => {
    const caps = { members: 40, strangers: 10, vault: 25, peer: 15 }
    const op = fc.record({
      lease: fc.nat(5),
      hold: fc.boolean(),
      bytes: fc.nat(12),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const budget = new MemoryBudget(caps)
        const accounts: MemoryAccount[][] = [
          [{ key: 'strangers', cap: caps.strangers }],
          ...[1, 2, 3, 4, 5].map((i) => [
            { key: `peer:${i}`, cap: caps.peer },
            { key: `vault:${i % 2}`, cap: caps.vault },
            { key: 'members', cap: caps.members },
          ]),
        ]
        const leases = accounts.map((a) => budget.lease(a))
        const holding = leases.map(() => 0)
        for (const o of ops) {
          const lease = leases[o.lease]!
          if (!o.hold) {
            lease.free(o.bytes)
            holding[o.lease] = Math.max(0, holding[o.lease]! - o.bytes)
            continue
          }
          try {
            lease.hold(o.bytes)
            holding[o.lease]! += o.bytes
          } catch (err) {
            expect((err as { code?: string }).code).toBe('GUARDIAN_BUSY')
          }
          for (const list of accounts)
            for (const a of list) expect(budget.held(a.key)).toBeLessThanOrEqual(a.cap)
        }
        expect(budget.held()).toBe(holding.reduce((a, b) => a + b, 0))
        for (const l of leases) l.end()
        expect(budget.held()).toBe(0)
      }),
    )
  })
})
