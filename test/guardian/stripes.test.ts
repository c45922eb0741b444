/**
 * The pure parts of a striped push: who owns which chunk (docs/format.md §Protocol messages, striped:
 * both sides must compute the same shares from the signed manifest alone), and what a guardian's fetch
 * handler is given for a chunk still on its way in (guardian/arrivals.ts). The push itself, with real
 * guardians, lying fellows and all, is test/coordinator/upload-once.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/bytes.js'
import { Arrivals, type Incoming } from '../../src/guardian/arrivals.js'
import { stripeOwners } from '../../src/guardian/relay.js'

const id = (n: number) => new Uint8Array(32).fill(n)

describe('stripeOwners', () => {
  it('gives each distinct chunk, in the manifest order, to the member with the fewest bytes so far', () => {
    const chunks = [
      { id: id(1), size: 400 },
      { id: id(2), size: 100 },
      { id: id(3), size: 100 },
      { id: id(2), size: 100 }, // listed twice: owned once
      { id: id(4), size: 300 },
      { id: id(5), size: 50 },
    ]
    const owners = stripeOwners(chunks, 3)
    // 1 → m0 (all at 0: the first); 2 → m1; 3 → m2; 4 → m1 (100, before m2's equal 100); 5 → m2
    expect([1, 2, 3, 4, 5].map((n) => owners.get(toHex(id(n))))).toEqual([0, 1, 2, 1, 2])
    expect(owners.size).toBe(5)
  })

  it('keeps the members within one chunk of each other in bytes', () => {
    const chunks = Array.from({ length: 200 }, (_, i) => ({ id: id(i), size: 1000 + ((i * 7919) % 3000) }))
    const owners = stripeOwners(chunks, 5)
    const bytes = [0, 0, 0, 0, 0]
    for (const c of chunks) bytes[owners.get(toHex(c.id))!]! += c.size
    expect(Math.max(...bytes) - Math.min(...bytes)).toBeLessThanOrEqual(4000)
  })

  it('a swarm of one owns everything', () => {
    const owners = stripeOwners([{ id: id(1), size: 5 }], 1)
    expect(owners.get(toHex(id(1)))).toBe(0)
  })
})

/** An intake as the fetch handler sees it: what it has in memory, what it still expects. */
function intake(
  arrivals: Arrivals,
  vault: Uint8Array,
  version: number,
  batched: Map<string, Uint8Array>,
  expected: Set<string>,
) {
  const incoming: Incoming = {
    version,
    batched: (hex) => batched.get(hex),
    expects: (hex) => expected.has(hex),
  }
  const remove = arrivals.add(vault, incoming)
  // what VersionIntake.accept does
  const arrive = (hex: string, data: Uint8Array) => {
    expected.delete(hex)
    arrivals.arrived(vault, hex, data)
  }
  return { arrive, remove }
}

describe('Arrivals', () => {
  const vault = id(9)

  it('a chunk an open intake holds in memory is given at once', () => {
    const arrivals = new Arrivals()
    const data = Uint8Array.of(1, 2, 3)
    intake(arrivals, vault, 2, new Map([[toHex(id(1)), data]]), new Set())
    expect(arrivals.chunk(vault, id(1))).toBe(data)
  })

  it('a chunk an open intake expects is given when it comes, and none if the intake ends without it', async () => {
    const arrivals = new Arrivals()
    const { arrive, remove } = intake(arrivals, vault, 2, new Map(), new Set([toHex(id(1)), toHex(id(2))]))
    const first = arrivals.chunk(vault, id(1))
    const second = arrivals.chunk(vault, id(2))
    expect(first).toBeInstanceOf(Promise)
    const data = Uint8Array.of(7)
    arrive(toHex(id(1)), data)
    remove()
    expect(await first).toBe(data)
    expect(await second).toBeUndefined()
  })

  it('nothing is coming for another vault, an unlisted chunk, or once the intake is gone', () => {
    const arrivals = new Arrivals()
    const { remove } = intake(arrivals, vault, 3, new Map(), new Set([toHex(id(1))]))
    expect(arrivals.chunk(id(8), id(1))).toBeUndefined()
    expect(arrivals.chunk(vault, id(2))).toBeUndefined()
    expect(arrivals.newestComing(vault)).toBe(3)
    remove()
    expect(arrivals.chunk(vault, id(1))).toBeUndefined()
    expect(arrivals.newestComing(vault)).toBe(0)
  })

  it('a chunk two open intakes expect (a catch-up opened before the push) is given by whichever takes it', async () => {
    const arrivals = new Arrivals()
    const catchUp = intake(arrivals, vault, 4, new Map(), new Set([toHex(id(1)), toHex(id(2))]))
    const push = intake(arrivals, vault, 4, new Map(), new Set([toHex(id(1)), toHex(id(2))]))
    const first = arrivals.chunk(vault, id(1))
    const second = arrivals.chunk(vault, id(2))
    const data = Uint8Array.of(5)
    push.arrive(toHex(id(1)), data)
    expect(await first).toBe(data)
    // the catch-up ends without chunk 2: the push still expects it, so its fetch still waits
    catchUp.remove()
    let answered = false
    void (second as Promise<unknown>).then(() => {
      answered = true
    })
    await Promise.resolve()
    expect(answered).toBe(false)
    expect(arrivals.waiters(vault)).toBe(1)
    push.remove()
    expect(await second).toBeUndefined()
    expect(arrivals.waiters(vault)).toBe(0)
  })

  it('a fetch that leaves (its signal aborts) is no longer waiting', async () => {
    const arrivals = new Arrivals()
    intake(arrivals, vault, 5, new Map(), new Set([toHex(id(1))]))
    const leave = new AbortController()
    const waiting = arrivals.chunk(vault, id(1), leave.signal)
    expect(arrivals.waiters(vault)).toBe(1)
    leave.abort()
    expect(await waiting).toBeUndefined()
    expect(arrivals.waiters(vault)).toBe(0)
  })
})
