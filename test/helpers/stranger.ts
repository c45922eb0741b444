/**
 * An attacker's own libp2p node: a fresh identity on no roster, dialing from a loopback address of its
 * own (127.0.0.2 and up), as a stranger on another machine would. Used by the attack tests.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { KithNode } from '../../src/p2p/node.js'

/** A stranger's node dialing from `from` (a 127.x.y.z address); it listens nowhere. */
export async function strangerNode(from = '127.0.0.2'): Promise<KithNode> {
  // net.connect takes localAddress; @libp2p/tcp passes its dial options through to it
  const dialOpts: Record<string, unknown> = { localAddress: from }
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [] },
    transports: [tcp({ dialOpts })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 1000 },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
    },
  })
}
