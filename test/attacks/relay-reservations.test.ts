/**
 * A guardian as relay, from the attacker's chair: strangers' nodes that reserve again and again, and many
 * stranger identities from a few networks, try to take the relay's room from a friend's guardian behind
 * NAT; a member's relayed connection is cut at its data and time limits. Real libp2p nodes in this
 * process on 127.0.0.0/8 (an attacker's network is a 127.0.n.0/24 of its own); the reservations are
 * asked for by hand, as an attacker would, on the circuit relay's hop protocol.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { RELAY } from '../../src/p2p/relay-terms.js'
import { setDurations } from '../../src/time/durations.js'
import { strangerNode } from '../helpers/stranger.js'
import { waitUntil } from '../helpers/wait.js'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
/** The circuit relay's answers (its Status enum). */
const OK = 100
const PERMISSION_DENIED = 202
const SINK = '/kith-test/sink/1.0.0'

/** The status field (5) of a HopMessage, read by hand: the attacker needs nothing more. */
function hopStatus(bytes: Uint8Array): number {
  let at = 0
  const varint = () => {
    let v = 0
    for (let shift = 0; ; shift += 7) {
      // a message cut short is the relay's bug, not a reason to read past its end
      if (at >= bytes.length) throw new RangeError('a truncated HopMessage')
      const b = bytes[at++]!
      v += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return v
    }
  }
  while (at < bytes.length) {
    const tag = varint()
    if (tag === 5 << 3) return varint()
    // a length is read before it is added: `at += varint()` would add it to the old position
    const value = varint()
    if ((tag & 7) === 2) at += value
  }
  return 0
}

/** One RESERVE on the relay's hop protocol, from `node`; the relay's answer. */
async function reserve(node: KithNode, relay: Multiaddr): Promise<number> {
  const stream = await node.dialProtocol(relay, HOP, {
    signal: AbortSignal.timeout(5000),
    runOnLimitedConnection: true,
  })
  const lp = lpStream(stream)
  // a HopMessage of type RESERVE (field 1 = 0)
  await lp.write(Uint8Array.of(0x08, 0x00))
  const status = hopStatus((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray())
  await stream.close().catch(() => undefined)
  return status
}

describe('relay reservations: a stranger takes one slot, a few per network, never the whole relay', () => {
  const nodes: KithNode[] = []
  const members = new Set<string>()
  let relay: KithNode
  let relayAddr: Multiaddr
  const held = () => relay.services.relay!.reservations
  const stranger = async (from: string) => {
    const n = await strangerNode(from)
    nodes.push(n)
    return n
  }
  /** A friend's guardian at home (127.0.0.1): it keeps a reservation on the relay it is connected to. */
  const friendAtHome = async () => {
    const n = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'],
    })
    nodes.push(n)
    return n
  }
  /** As many strangers as the pool takes, two from each network 127.0.<first>.0/24 on, each reserved. */
  const fillPool = async (first: number) => {
    const out: KithNode[] = []
    for (let i = 0; i < RELAY.strangerReservations; i++) {
      const n = await stranger(`127.0.${first + Math.floor(i / 2)}.${(i % 2) + 1}`)
      expect(await reserve(n, relayAddr)).toBe(OK)
      out.push(n)
    }
    return out
  }
  const strangersHolding = () => [...held().keys()].filter((p) => !members.has(p.toString())).length

  /** A relay that is a guardian of vaults whose rosters name `members`; made after durations are set. */
  const makeRelay = async () => {
    // the first time, there is none yet
    const previous: KithNode | undefined = relay
    await previous?.stop()
    relay = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      serve: {},
      inboundPerSecond: 1000,
      admission: { isMember: (p) => members.has(p.toString()) },
    })
    relayAddr = relay.getMultiaddrs()[0]!
  }

  beforeEach(async () => {
    members.clear()
    await makeRelay()
  })

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
    await relay.stop()
  })

  it('one stranger reserving again and again holds one slot: seven others still get theirs', async () => {
    const s = await stranger('127.0.1.1')
    for (let i = 0; i < 50; i++) expect(await reserve(s, relayAddr)).toBe(OK)
    expect(strangersHolding()).toBe(1)
    // the rest of its network's share, then three more networks
    const others = ['127.0.1.2', '127.0.2.1', '127.0.2.2', '127.0.3.1', '127.0.3.2', '127.0.4.1', '127.0.4.2']
    for (const from of others) expect(await reserve(await stranger(from), relayAddr)).toBe(OK)
    expect(strangersHolding()).toBe(RELAY.strangerReservations)
    expect(await reserve(await stranger('127.0.5.1'), relayAddr)).toBe(PERMISSION_DENIED)
  })

  it('six identities from one network hold two slots: a friend at home still gets its reservation', async () => {
    const answers: number[] = []
    for (let i = 1; i <= 6; i++) {
      const s = await stranger(`127.0.7.${i}`)
      // each one again and again, as an attacker would
      for (let k = 0; k < 3; k++) answers.push(await reserve(s, relayAddr))
    }
    expect(answers.filter((a) => a === OK)).toHaveLength(3 * RELAY.strangerReservationsPerNetwork)
    expect(strangersHolding()).toBe(RELAY.strangerReservationsPerNetwork)
    const friend = await friendAtHome()
    await friend.dial(relayAddr)
    await waitUntil(
      () => held().has(friend.peerId),
      () => `${strangersHolding()} strangers hold one`,
      10_000,
    )
    await waitUntil(() => friend.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')))
  })

  it('strangers of four networks fill the pool: a friend named in a roster here gets its reservation', async () => {
    await fillPool(1)
    const friend = await friendAtHome()
    // not yet on a roster here: refused, and nothing it tries takes a slot
    expect(await reserve(friend, relayAddr)).toBe(PERMISSION_DENIED)
    // the owner adds it: the roster naming it reaches this guardian with its own update
    members.add(friend.peerId.toString())
    await friend.hangUp(relay.peerId)
    await friend.dial(relayAddr)
    await waitUntil(
      () => held().has(friend.peerId),
      () => `${held().size} reservations`,
      10_000,
    )
    expect(strangersHolding()).toBe(RELAY.strangerReservations)
  })

  it('a relay full of strangers and members makes room for a member by sending the oldest stranger away', async () => {
    await fillPool(1)
    const first = nodes[0]!
    for (let i = held().size; i < RELAY.reservations; i++) {
      const m = await stranger('127.0.0.1')
      members.add(m.peerId.toString())
      expect(await reserve(m, relayAddr)).toBe(OK)
    }
    const late = await stranger('127.0.0.1')
    members.add(late.peerId.toString())
    expect(await reserve(late, relayAddr)).toBe(OK)
    expect(held().has(late.peerId)).toBe(true)
    expect(held().has(first.peerId)).toBe(false)
    // told by its connection closing, not left believing in a reservation it lost
    await waitUntil(() => first.getConnections(relay.peerId).length === 0)
  })

  it('past its hold, a stranger gives its slot up to a stranger that finds the pool full', async () => {
    const pool = await fillPool(1)
    const newcomer = await stranger('127.0.9.1')
    // within the hour every holder has, the newcomer waits
    expect(await reserve(newcomer, relayAddr)).toBe(PERMISSION_DENIED)
    // an hour on (the hold made 1 ms); the attackers renewed all along, the newest first: a renewal does
    // not restart a hold, so the one that goes is the one that got its slot first
    const restore = setDurations({ strangerReservationHold: 1 })
    try {
      for (const n of [...pool].reverse()) expect(await reserve(n, relayAddr)).toBe(OK)
      expect(await reserve(newcomer, relayAddr)).toBe(OK)
      expect(held().has(newcomer.peerId)).toBe(true)
      expect(held().has(pool[0]!.peerId)).toBe(false)
      expect(strangersHolding()).toBe(RELAY.strangerReservations)
    } finally {
      restore()
    }
  })

  it('a holder that left frees its slot for the next stranger', async () => {
    const pool = await fillPool(1)
    await pool[3]!.stop()
    await waitUntil(() => relay.getConnections(pool[3]!.peerId).length === 0)
    expect(await reserve(await stranger('127.0.9.1'), relayAddr)).toBe(OK)
    expect(held().has(pool[3]!.peerId)).toBe(false)
  })

  it("a member renewing again and again keeps its reservation past its first renewal's lifetime", async () => {
    // libp2p's own renewal kept the first renewal's expiry: renewed twice, a reservation went a lifetime
    // after its first renewal, though its last one promised it more
    const ttl = 3000
    const restore = setDurations({ reservationTtl: ttl })
    try {
      // the relay reads the lifetime when it is made
      await makeRelay()
      const m = await stranger('127.0.0.1')
      members.add(m.peerId.toString())
      expect(await reserve(m, relayAddr)).toBe(OK)
      expect(await reserve(m, relayAddr)).toBe(OK)
      const firstRenewal = Date.now()
      await new Promise((r) => setTimeout(r, 2000))
      expect(await reserve(m, relayAddr)).toBe(OK)
      // half way between the first renewal's end and the last one's
      await new Promise((r) => setTimeout(r, firstRenewal + ttl + 1000 - Date.now()))
      expect(held().has(m.peerId)).toBe(true)
    } finally {
      restore()
    }
  })
})

describe("a member's relayed connection is cut at its limits", () => {
  const nodes: KithNode[] = []
  let restore: (() => void) | undefined

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
    restore?.()
    restore = undefined
  })

  /** A relay with these limits, a member behind it (reserved, counting what reaches it), another member. */
  async function behindRelay(relayedBytes: bigint) {
    const members = new Set<string>()
    const relay = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      serve: { relayedBytes },
      inboundPerSecond: 1000,
      admission: { isMember: (p) => members.has(p.toString()) },
    })
    const home = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'],
    })
    const coordinator = await createKithNode({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
    nodes.push(coordinator, home, relay)
    members.add(home.peerId.toString())
    members.add(coordinator.peerId.toString())
    const received = { bytes: 0, connections: 0 }
    home.addEventListener('connection:open', (ev) => {
      if (ev.detail.remotePeer.equals(coordinator.peerId)) received.connections++
    })
    await home.handle(
      SINK,
      async (s: Stream) => {
        for await (const chunk of s) received.bytes += chunk.byteLength
      },
      { runOnLimitedConnection: true },
    )
    await home.dial(relay.getMultiaddrs()[0]!)
    const circuit = () => home.getMultiaddrs().find((a) => a.toString().includes('/p2p-circuit'))
    await waitUntil(
      () => circuit() !== undefined,
      () => 'no relayed address',
      10_000,
    )
    return { relay, home, coordinator, circuit: circuit()!, received }
  }

  /** Send `total` bytes to the sink over `stream`, then close it; how many went before it broke. */
  async function pour(stream: Stream, total: number): Promise<number> {
    const piece = new Uint8Array(16 * 1024)
    let sent = 0
    try {
      while (sent < total) {
        if (!stream.send(piece)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
        sent += piece.length
      }
      await stream.close({ signal: AbortSignal.timeout(5000) })
    } catch {
      // cut
    }
    return sent
  }

  it('at its data limit, told to both ends: a stream pouring past it breaks and the connection goes', async () => {
    const limit = 256 * 1024
    const { home, coordinator, circuit, received } = await behindRelay(BigInt(limit))
    const conn = await coordinator.dial(circuit)
    // told to both ends (what is left of it: the handshake through the relay took some)
    expect(conn.limits?.bytes).toBeGreaterThan(0n)
    expect(conn.limits!.bytes!).toBeLessThanOrEqual(BigInt(limit))
    await waitUntil(() => home.getConnections(coordinator.peerId).length > 0)
    expect(home.getConnections(coordinator.peerId)[0]!.limits).toBeDefined()
    const stream = await conn.newStream(SINK, { runOnLimitedConnection: true })
    await pour(stream, 4 * limit)
    await waitUntil(
      () => conn.status !== 'open',
      () => `${received.bytes} bytes arrived`,
      10_000,
    )
    // Noise and Yamux frames count too: what arrived is under the limit, far from what was poured
    expect(received.bytes).toBeLessThanOrEqual(limit)
    // the far end sees its side go too (the relay reset both halves of the circuit)
    await waitUntil(() => home.getConnections(coordinator.peerId).every((c) => c.status !== 'open'))
  })

  it("under its data limit, kith's streams run on the one relayed connection", async () => {
    const { home, coordinator, circuit, received } = await behindRelay(RELAY.relayedBytes)
    await coordinator.peerStore.merge(home.peerId, { multiaddrs: [circuit] })
    for (let i = 0; i < 3; i++) {
      const s = await openStream(coordinator, peerIdBytes(home.peerId), [circuit.toString()], SINK)
      await pour(s, 64 * 1024)
    }
    await waitUntil(
      () => received.bytes === 3 * 64 * 1024,
      () => `${received.bytes} bytes arrived`,
    )
    // one circuit: none made and thrown away for each stream
    expect(received.connections).toBe(1)
    expect(coordinator.getConnections(home.peerId)).toHaveLength(1)
  })

  it('at its time limit: the relay cuts a connection that lived its time', async () => {
    restore = setDurations({ relayedConnection: 700 })
    const { coordinator, circuit } = await behindRelay(RELAY.relayedBytes)
    const conn = await coordinator.dial(circuit)
    expect(conn.status).toBe('open')
    await waitUntil(
      () => conn.status !== 'open',
      () => conn.status,
      10_000,
    )
  })
})
