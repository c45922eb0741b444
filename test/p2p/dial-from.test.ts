/**
 * A node made with dialFrom (p2p/node.ts) connects from that local address: bench:site gives each of its
 * coordinators a loopback address of its own, so a guardian counts them as hosts of their own.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it } from 'vitest'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { waitUntil } from '../helpers/wait.js'

describe('createKithNode dialFrom', () => {
  const nodes: KithNode[] = []
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('opens its connections from the address it is given', async () => {
    const listener = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    const dialer = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      dialFrom: '127.0.9.7',
    })
    nodes.push(listener, dialer)
    await dialer.dial(listener.getMultiaddrs()[0]!)
    // the listener has it once its side of the upgrade is done
    const seen = () => listener.getConnections(dialer.peerId).map((c) => c.remoteAddr.toString())
    await waitUntil(() => seen().length > 0)
    expect(seen()).toHaveLength(1)
    expect(seen()[0]).toMatch(/^\/ip4\/127\.0\.9\.7\/tcp\/\d+/)
  })
})
