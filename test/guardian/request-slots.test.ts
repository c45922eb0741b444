/**
 * Who gets one of a vault's open recovery-request slots (guardian/request-slots.ts), the choice alone:
 * a requester holds one, a network two, a vault eight; a pending request nobody asks after gives way,
 * first within its own network, never an approved one or one still asked after; a network the human
 * denied counts as holding its slot.
 */
import { describe, expect, it } from 'vitest'
import { REQUEST_CAPS } from '../../src/guardian/limits.js'
import { chooseSlot, RequestAttendance, type SlotHolder } from '../../src/guardian/request-slots.js'
import type { RequestState } from '../../src/p2p/messages.js'

const NOW = 1_000_000_000
const QUIET = NOW - 600_000
let next = 0

/** An open request from `network`, asked after at `lastAsked` (now, unless told). */
function holder(network: string, opts: { lastAsked?: number; state?: RequestState } = {}): SlotHolder {
  next++
  return {
    requestId: Uint8Array.of(next, 1),
    requester: Uint8Array.of(next, 2),
    network,
    state: opts.state ?? 'pending',
    lastAsked: opts.lastAsked ?? NOW,
  }
}

const asker = (network: string) => ({ requester: Uint8Array.of(0, 0, 7), network })
const choose = (open: SlotHolder[], network: string, heldOut: string[] = []) =>
  chooseSlot(open, heldOut, asker(network), REQUEST_CAPS, QUIET)

describe('chooseSlot', () => {
  it('gives a slot while the vault, the network and the requester have room', () => {
    expect(choose([holder('a')], 'b')).toEqual({ take: true })
  })

  it('refuses a requester that already holds a request', () => {
    const mine = { ...holder('a'), requester: asker('a').requester }
    expect(choose([mine], 'b')).toEqual({ take: false, full: 'requester' })
  })

  it('refuses a third request from one network while its two are asked after', () => {
    expect(choose([holder('s'), holder('s')], 's')).toEqual({ take: false, full: 'network' })
  })

  it("lets a network's own quiet request give way to its new one (an owner's stopped run)", () => {
    const a = holder('o', { lastAsked: QUIET - 5 })
    const b = holder('o', { lastAsked: QUIET - 1 })
    // the one asked after least recently
    expect(choose([b, a], 'o')).toEqual({ take: true, replaces: a.requestId })
  })

  it('never replaces an approved request, however long it was not asked after', () => {
    const approved = holder('o', { lastAsked: 0, state: 'approved' })
    expect(choose([approved, holder('o')], 'o')).toEqual({ take: false, full: 'network' })
  })

  it('counts a request the human denied lately against its network', () => {
    expect(choose([holder('s')], 's', ['s'])).toEqual({ take: false, full: 'network' })
    expect(choose([holder('s')], 'o', ['s'])).toEqual({ take: true })
  })

  it('refuses when every slot of the vault is held and asked after', () => {
    const open = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'].map((n) => holder(n))
    expect(choose(open, 'o')).toEqual({ take: false, full: 'vault' })
  })

  it('with the vault full, a quiet request of the network holding most gives way', () => {
    const quietAlone = holder('e', { lastAsked: QUIET - 100 })
    const quietOfTwo = holder('a', { lastAsked: QUIET - 1 })
    const open = [quietOfTwo, holder('a'), ...['b', 'b', 'c', 'c', 'd'].map((n) => holder(n)), quietAlone]
    expect(choose(open, 'o')).toEqual({ take: true, replaces: quietOfTwo.requestId })
  })

  it('a stranger with one network holds two slots: the owner, on another, gets in', () => {
    const open = [holder('s'), holder('s')]
    for (let i = 0; i < 62; i++) expect(choose(open, 's').take).toBe(false)
    expect(choose(open, 'o')).toEqual({ take: true })
  })
})

describe('RequestAttendance', () => {
  const id = Uint8Array.of(9)

  it('a request never asked after counts as asked when it was made, or when the guardian started', () => {
    const a = new RequestAttendance(NOW)
    expect(a.lastAsked(id, NOW - 5)).toBe(NOW)
    expect(a.lastAsked(id, NOW + 5)).toBe(NOW + 5)
  })

  it('remembers the last time it was asked after', () => {
    const a = new RequestAttendance(0)
    a.touch(id, NOW, QUIET)
    expect(a.lastAsked(id, 0)).toBe(NOW)
  })

  it('stays bounded, forgetting only what was quiet anyway', () => {
    const a = new RequestAttendance(0, 4)
    for (let i = 0; i < 4; i++) a.touch(Uint8Array.of(i), QUIET - 1, QUIET)
    a.touch(id, NOW, QUIET)
    a.touch(Uint8Array.of(10), NOW, QUIET)
    // forgotten ones fall back to when they were made: still quiet
    expect(a.lastAsked(Uint8Array.of(0), 0)).toBeLessThan(QUIET)
    expect(a.lastAsked(id, 0)).toBe(NOW)
  })
})
