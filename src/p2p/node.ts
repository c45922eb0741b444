/**
 * The one libp2p node factory kith uses: TCP + Noise + Yamux, identify and ping (and gossipsub on a
 * node that serves vaults), with
 * connection limits, and libp2p's own NAT machinery (docs/format.md §Reachability): every node can dial
 * relayed addresses (circuit relay v2) and upgrade them to direct ones (DCUtR); a node that serves vaults
 * also learns its reachability (AutoNAT), may map a port on a router that offers UPnP / NAT-PMP, keeps
 * reservations on relays, and relays for others, on the terms its admission policy sets (relay-terms.ts).
 * A relayed connection carries limits the relay tells both ends, which makes it "limited" to libp2p:
 * kith's protocols and gossip run on it all the same. Every kith protocol is registered on such a node
 * by its owner (guardian or coordinator); this module knows nothing of vaults.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { type CircuitRelayService, circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface'
import { type Ping, ping } from '@libp2p/ping'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { duration } from '../time/durations.js'
import { type AdmissionPolicy, admissionGater } from './admission.js'
import { checkRelayedBytes, RELAY, relayTerms } from './relay-terms.js'

export type KithNode = Libp2p<{
  identify: Identify
  ping: Ping
  /**
   * Present on a node that serves vaults (heads and evidence among a vault's guardians). A coordinator
   * has none: a guardian would tell it every topic it keeps (a site's thousand, 86 KB a connection).
   */
  pubsub?: GossipSub
  /** Present on a node that serves vaults (it relays for their peers). */
  relay?: CircuitRelayService
}>

export interface KithNodeInit {
  readonly privateKey: Ed25519PrivateKey
  /** Multiaddrs to listen on; default 127.0.0.1 on a free port. */
  readonly listen?: readonly string[]
  /** Multiaddrs to tell peers instead of the listen addresses (for NAT or DNS names). */
  readonly announce?: readonly string[]
  /** Most open connections; a coordinator needs a handful (default 64; a serving node's: 256). */
  readonly maxConnections?: number
  /**
   * Most new inbound connections one host may open per second (libp2p's default: 5). Tests that run
   * every peer on 127.0.0.1 at full speed raise it; a real guardian sees a handful a minute.
   */
  readonly inboundPerSecond?: number
  /** For a node that serves vaults: who it must always make room for (p2p/admission.ts). */
  readonly admission?: AdmissionPolicy
  /**
   * A node that serves vaults: relay for its vaults' peers, AutoNAT, and UPnP / NAT-PMP if asked.
   * `relayedBytes` replaces RELAY.relayedBytes (tests cut a relayed connection without moving 4 GiB).
   */
  readonly serve?: { readonly upnp?: boolean; readonly relayedBytes?: bigint }
  /**
   * The most a stream's Yamux receive window grows to (at least 256 KiB, where it starts), and so the
   * most a paused stream holds unread: libp2p's defaults are 16 MiB, with a stream that holds over 4
   * MiB unread reset. One setting for every connection: libp2p takes one muxer configuration a node.
   */
  readonly streamWindow?: number
  /**
   * The local address outgoing TCP connections leave from (default: the kernel's). bench:site runs a
   * thousand coordinators on one machine, each from a loopback address of its own (all of 127/8 is this
   * machine), as friends dial from hosts of their own: a guardian's limits per host and per network
   * then see what a site sees, not one host opening a thousand connections.
   */
  readonly dialFrom?: string
}

export const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/0'

/**
 * libp2p's connection monitor: a ping waits behind a push's chunks on the same connection (seconds on a
 * home uplink, more on a busy machine), so it may take connectionPing (libp2p's 5 s cut whole connections
 * mid-push, and every stream on them). The next ping starts only after the last one's deadline: libp2p's
 * ping allows one outbound stream per connection, and a second one started beside a slow first failed,
 * which aborted the connection all the same.
 */
export function connectionMonitorSettings(): {
  pingInterval: number
  pingTimeout: { minTimeout: number; maxTimeout: number }
} {
  const timeout = duration('connectionPing')
  return { pingInterval: 2 * timeout, pingTimeout: { minTimeout: timeout, maxTimeout: timeout } }
}

/**
 * Connections a node that serves vaults holds, and handshakes it runs at once: a site keeps a thousand
 * vaults, and a hundred of their coordinators may back up at the same moment (bench:site; with 64 and
 * 16, 84 of 100 were refused at once). Strangers stay within the admission gater's slots and per-network
 * limits (admission.ts) whatever these are. A coordinator needs a handful.
 */
const SERVE_CONNECTIONS = 256
const SERVE_PENDING = 128

export async function createKithNode(init: KithNodeInit): Promise<KithNode> {
  // UPnP / NAT-PMP only where asked for: its modules cost every other process some 9 MB of memory
  const upnp = init.serve?.upnp ? (await import('@libp2p/upnp-nat')).uPnPNAT : undefined
  // the gater asks the node for its connections and reservations, and the node is made after the gater
  let node: KithNode | undefined
  const connections = () => node?.getConnections() ?? []
  const gater = init.admission && {
    ...admissionGater(init.admission, connections),
    ...relayTerms(init.admission, { connections, reservations: () => node?.services.relay?.reservations }),
  }
  node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: {
      listen: [...(init.listen ?? [DEFAULT_LISTEN])],
      ...(init.announce && init.announce.length > 0 ? { announce: [...init.announce] } : {}),
    },
    // relayed addresses can always be dialed; a node behind NAT listens on `<relay>/p2p-circuit` too
    transports: [
      // net.connect takes localAddress; libp2p's type lists only a few of its options
      tcp(
        init.dialFrom === undefined ? {} : { dialOpts: { localAddress: init.dialFrom } as TCPSocketOptions },
      ),
      circuitRelayTransport({ reservationCompletionTimeout: duration('reservationCompletion') }),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux(
        init.streamWindow === undefined
          ? {}
          : {
              streamOptions: {
                maxStreamWindowSize: init.streamWindow,
                maxReadBufferLength: init.streamWindow,
              },
            },
      ),
    ],
    connectionManager: {
      maxConnections: init.maxConnections ?? (init.serve ? SERVE_CONNECTIONS : 64),
      maxIncomingPendingConnections: init.serve ? SERVE_PENDING : 16,
      inboundUpgradeTimeout: duration('connectionUpgrade'),
      ...(init.inboundPerSecond !== undefined ? { inboundConnectionThreshold: init.inboundPerSecond } : {}),
    },
    ...(gater ? { connectionGater: gater } : {}),
    connectionMonitor: connectionMonitorSettings(),
    services: {
      identify: identify(),
      ping: ping(),
      dcutr: dcutr(),
      ...(init.serve
        ? {
            // heads go to a guardian behind NAT over its relayed (limited) connection too
            pubsub: gossipsub({
              allowPublishToZeroTopicPeers: true,
              emitSelf: false,
              runOnLimitedConnection: true,
              // no peer-store tag per topic and mesh peer: a fellow of a thousand vaults carried a
              // thousand tags, and libp2p rewrites a peer's whole record at every stream opened with it
              tagMeshPeers: false,
            }),
            autonat: autoNAT(),
            // whom it relays for is the gater's decision (relay-terms.ts): a vault peer at one end
            relay: circuitRelayServer({
              reservations: {
                maxReservations: RELAY.reservations,
                reservationTtl: duration('reservationTtl'),
                // every relayed connection, a member's too, is cut at these (libp2p's own 2 min and
                // 128 KiB would cut a push of one chunk). The relay times the duration in ms; the ends
                // are told the same number, which they read as seconds, but they only report it
                applyDefaultLimit: true,
                defaultDataLimit: checkRelayedBytes(init.serve.relayedBytes ?? RELAY.relayedBytes),
                defaultDurationLimit: duration('relayedConnection'),
              },
            }),
            ...(upnp ? { upnp: upnp() } : {}),
          }
        : {}),
    },
  })
  return node
}
