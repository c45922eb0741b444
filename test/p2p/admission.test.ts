/**
 * Who gets a connection before its handshake (the gater's half-open slots per network: a /24 or /64),
 * and the strangers' slots after it: the logic alone,
 * with connections that are only an address and a status. A slot is held while the connection is open
 * and in its handshake, not for the whole upgrade time: a backlog of connections whose dialers gave up
 * (a guardian paused, asleep or starved of CPU) must not lock the vault's own peers out of an address.
 */
import type { Connection, MultiaddrConnection, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ADMISSION, admissionGater } from '../../src/p2p/admission.js'
import { duration } from '../../src/time/durations.js'

type Status = 'open' | 'closing' | 'closed' | 'aborted' | 'reset'

/** A raw inbound connection from `ip`, as far as the gater looks at one. */
function conn(ip: string): MultiaddrConnection & { status: Status } {
  return {
    remoteAddr: multiaddr(`/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}/tcp/4000`),
    status: 'open',
  } as unknown as MultiaddrConnection & {
    status: Status
  }
}

const member = { equals: () => false } as unknown as PeerId
const gater = () => admissionGater({ isMember: () => true }, () => [])

afterEach(() => {
  vi.useRealTimers()
})

describe('half-open connections per network', () => {
  it(`admits ${ADMISSION.pendingPerNetwork} handshakes at once from one network, and refuses one more`, () => {
    const g = gater()
    for (let i = 0; i < ADMISSION.pendingPerNetwork; i++)
      expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(true)
    // another address of its /24 is the same network; another /24 has slots of its own
    expect(g.denyInboundConnection!(conn('10.0.0.2'))).toBe(true)
    expect(g.denyInboundConnection!(conn('10.0.1.1'))).toBe(false)
  })

  it('counts every address of one IPv6 /64 as one network', () => {
    const g = gater()
    for (let i = 0; i < ADMISSION.pendingPerNetwork; i++)
      expect(g.denyInboundConnection!(conn(`2001:db8:0:7::${i + 1}`))).toBe(false)
    expect(g.denyInboundConnection!(conn('2001:db8:0:7:ffff::1'))).toBe(true)
    expect(g.denyInboundConnection!(conn('2001:db8:0:8::1'))).toBe(false)
  })

  it('a connection that closed in its handshake frees its slot at once, not after the upgrade time', () => {
    const g = gater()
    const stale = Array.from({ length: ADMISSION.pendingPerNetwork }, () => conn('10.0.0.1'))
    for (const c of stale) expect(g.denyInboundConnection!(c)).toBe(false)
    // their dialers had given up while this node was paused: each fails its handshake and closes
    for (const c of stale) c.status = 'reset'
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
  })

  it('a finished handshake frees its own slot and no other', async () => {
    const g = gater()
    const cs = Array.from({ length: ADMISSION.pendingPerNetwork }, () => conn('10.0.0.1'))
    for (const c of cs) g.denyInboundConnection!(c)
    expect(await g.denyInboundEncryptedConnection!(member, cs[2]!)).toBe(false)
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
    // the three others still hold theirs
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(true)
  })

  it('a handshake that takes longer than the upgrade time holds its slot no longer', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const g = gater()
    for (let i = 0; i < ADMISSION.pendingPerNetwork; i++) g.denyInboundConnection!(conn('10.0.0.1'))
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(true)
    vi.advanceTimersByTime(duration('connectionUpgrade'))
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
  })
})

describe("a member's host in a shared network", () => {
  // 10.0.0.1 to .9 are a site's servers, each a guardian some roster gives; 10.0.0.200 is not
  const members = new Set(Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`))
  const siteGater = () =>
    admissionGater({ isMember: () => true, isMemberHost: (h) => members.has(h) }, () => [])

  it('has half-open slots of its own: nine fellows of one /24 dial at once and none is refused', () => {
    const g = siteGater()
    for (const host of members) expect(g.denyInboundConnection!(conn(host))).toBe(false)
    // and each still has the rest of its own
    for (let i = 1; i < ADMISSION.pendingPerNetwork; i++)
      expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(true)
  })

  it("another host of that network shares the network's slots, and cannot take a member host's", () => {
    const g = siteGater()
    for (let i = 0; i < ADMISSION.pendingPerNetwork; i++)
      expect(g.denyInboundConnection!(conn('10.0.0.200'))).toBe(false)
    expect(g.denyInboundConnection!(conn('10.0.0.201'))).toBe(true)
    expect(g.denyInboundConnection!(conn('10.0.0.3'))).toBe(false)
  })

  it('a handshake frees the slots it took, though the roster changed meanwhile', async () => {
    let known = true
    const g = admissionGater({ isMember: () => true, isMemberHost: () => known }, () => [])
    const cs = Array.from({ length: ADMISSION.pendingPerNetwork }, () => conn('10.0.0.1'))
    for (const c of cs) expect(g.denyInboundConnection!(c)).toBe(false)
    known = false // the roster naming it was left
    for (const c of cs) expect(await g.denyInboundEncryptedConnection!(member, c)).toBe(false)
    known = true
    expect(g.denyInboundConnection!(conn('10.0.0.1'))).toBe(false)
  })
})

describe("strangers' connections per network", () => {
  /** A peer that is only itself. */
  const peer = (): PeerId => {
    const p = { equals: (o: unknown) => o === p }
    return p as unknown as PeerId
  }

  it(`lets the strangers of one network hold ${ADMISSION.strangersPerNetwork} connections, from any of its addresses`, async () => {
    const held: Connection[] = []
    const g = admissionGater({ isMember: () => false }, () => held)
    // a stranger with a whole /64: a new address, a new peer, for every connection
    for (let i = 0; i < ADMISSION.strangersPerNetwork; i++) {
      const c = conn(`2001:db8:0:7::${i + 1}`)
      const p = peer()
      expect(await g.denyInboundEncryptedConnection!(p, c)).toBe(false)
      held.push({ remoteAddr: c.remoteAddr, remotePeer: p } as unknown as Connection)
    }
    expect(await g.denyInboundEncryptedConnection!(peer(), conn('2001:db8:0:7:abcd::1'))).toBe(true)
    // the owner, recovering from another network, still gets in
    expect(await g.denyInboundEncryptedConnection!(peer(), conn('2001:db8:0:8::1'))).toBe(false)
    expect(await g.denyInboundEncryptedConnection!(peer(), conn('203.0.113.5'))).toBe(false)
  })
})
