/**
 * A node that serves vaults takes many handshakes at once (p2p/node.ts): a site's coordinators back up
 * at the same moment, each from a host of its own. With libp2p's 16 pending inbound connections, 84 of
 * bench:site's 100 were refused at once.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it } from 'vitest'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'

describe('a serving node', () => {
  const nodes: KithNode[] = []
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('lets 40 members from 40 networks connect at the same moment', async () => {
    const server = await createKithNode({
      privateKey: await generateKeyPair('Ed25519'),
      serve: {},
      admission: { isMember: () => true },
    })
    nodes.push(server)
    const dialers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) =>
        createKithNode({ privateKey: await generateKeyPair('Ed25519'), dialFrom: `127.0.${20 + i}.1` }),
      ),
    )
    nodes.push(...dialers)
    const results = await Promise.allSettled(dialers.map((d) => d.dial(server.getMultiaddrs()[0]!)))
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
  })
})
