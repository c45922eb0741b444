/**
 * libp2p's connection monitor as kith sets it (p2p/node.ts connectionMonitorSettings): a ping may take
 * connectionPing (it waits behind a push's chunks), and the next starts only after that deadline, since
 * libp2p's ping allows one outbound stream per connection: a second one beside a slow first failed and
 * aborted the connection (a guardian's fetch streams with it). A peer that never answers is still cut.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connectionMonitorSettings, createKithNode, type KithNode } from '../../src/p2p/node.js'
import { setDurations } from '../../src/time/durations.js'
import { waitUntil } from '../helpers/wait.js'

const PING = '/ipfs/ping/1.0.0'
const PING_MS = 1000
afterAll(setDurations({ connectionPing: PING_MS }))

describe("kith's connection monitor", () => {
  let nodes: KithNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    nodes = []
  })

  it('starts a ping only after the last one may have ended, at every setting', () => {
    for (const ms of [200, PING_MS, 30_000]) {
      const restore = setDurations({ connectionPing: ms })
      try {
        const s = connectionMonitorSettings()
        expect(s.pingTimeout.maxTimeout).toBe(ms)
        expect(s.pingInterval).toBeGreaterThan(s.pingTimeout.maxTimeout)
      } finally {
        restore()
      }
    }
  })

  /** A node whose pings are answered after `delayMs` (never, if undefined), and one connected to it. */
  async function pair(delayMs: number | undefined): Promise<{ dialer: KithNode; peer: KithNode }> {
    const peer = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    const dialer = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    nodes.push(peer, dialer)
    await peer.unhandle(PING)
    await peer.handle(PING, async (stream: Stream) => {
      const bs = byteStream(stream)
      try {
        const ping = await bs.read({ bytes: 32 })
        if (delayMs === undefined) return // held open, never answered
        await new Promise((r) => setTimeout(r, delayMs))
        await bs.write(ping)
        await stream.close()
      } catch {
        stream.abort(new Error('ping over'))
      }
    })
    await dialer.dial(peer.getMultiaddrs()[0]!)
    return { dialer, peer }
  }

  it('a slow ping (within its deadline) keeps the connection, ping after ping', async () => {
    const { dialer, peer } = await pair(PING_MS * 0.3)
    const [conn] = dialer.getConnections(peer.peerId)
    const { pingInterval } = connectionMonitorSettings()
    await new Promise((r) => setTimeout(r, 3.5 * pingInterval))
    expect(conn!.status).toBe('open')
    expect(dialer.getConnections(peer.peerId).map((c) => c.id)).toEqual([conn!.id])
  })

  it('a peer that never answers a ping is cut', async () => {
    const { dialer, peer } = await pair(undefined)
    await waitUntil(
      () => dialer.getConnections(peer.peerId).length === 0,
      () => 'still connected',
      20_000,
    )
  })
})
