/**
 * The one libp2p node factory kith uses: TCP + Noise + Yamux, identify, ping and gossipsub, with
 * connection limits. Every kith protocol is registered on such a node by its owner (guardian or
 * coordinator); this module knows nothing of vaults.
 */
import '../polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { ADMISSION, type AdmissionPolicy, admissionGater } from './admission.js'

export type KithNode = Libp2p<{ identify: Identify; ping: Ping; pubsub: GossipSub }>

export interface KithNodeInit {
  readonly privateKey: Ed25519PrivateKey
  /** Multiaddrs to listen on; default 127.0.0.1 on a free port. */
  readonly listen?: readonly string[]
  /** Multiaddrs to tell peers instead of the listen addresses (for NAT or DNS names). */
  readonly announce?: readonly string[]
  /** Most open connections; guardians of one vault need a handful. */
  readonly maxConnections?: number
  /**
   * Most new inbound connections one host may open per second (libp2p's default: 5). Tests that run
   * every peer on 127.0.0.1 at full speed raise it; a real guardian sees a handful a minute.
   */
  readonly inboundPerSecond?: number
  /** For a node that serves vaults: who it must always make room for (p2p/admission.ts). */
  readonly admission?: AdmissionPolicy
}

export const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/0'

export async function createKithNode(init: KithNodeInit): Promise<KithNode> {
  // the gater asks the node for its connections, and the node is made after the gater
  let node: KithNode | undefined
  const gater = init.admission && admissionGater(init.admission, () => node?.getConnections() ?? [])
  node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: {
      listen: [...(init.listen ?? [DEFAULT_LISTEN])],
      ...(init.announce && init.announce.length > 0 ? { announce: [...init.announce] } : {}),
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: init.maxConnections ?? 64,
      maxIncomingPendingConnections: 16,
      inboundUpgradeTimeout: ADMISSION.upgradeTimeoutMs,
      ...(init.inboundPerSecond !== undefined ? { inboundConnectionThreshold: init.inboundPerSecond } : {}),
    },
    ...(gater ? { connectionGater: gater } : {}),
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
    },
  })
  return node
}
