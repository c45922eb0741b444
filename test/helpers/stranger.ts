/**
 * An attacker's own libp2p node: a fresh identity on no roster, dialing from a loopback address of its
 * own (127.0.0.2 and up), as a stranger on another machine would; and a stranger asking for a vault's
 * share from many such addresses at once, without end. Used by the attack tests.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { type PeerRef, requestRecovery } from '../../src/p2p/client.js'
import { isRemote } from '../../src/p2p/errors.js'
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

/** What one try at a new request came to: 'recorded', a refusal's code, or why it got no answer. */
const _outcome = (err: unknown) =>
  isRemote(err) ? err.remoteCode : ((err as { code?: string }).code ?? (err as Error).name ?? String(err))

/**
 * A stranger asking `guardian` for the vault's share from each of `addresses` (a node of its own each),
 * with a fresh recovery key every try, each address again `everyMs` after its last answer: a new
 * request every time, never a poll. Runs until stopped; counts what each try came to.
 */
export async function askingFlood(
  addresses: readonly string[],
  guardian: PeerRef,
  vaultId: Uint8Array,
  everyMs = 100,
): Promise<{ readonly outcomes: Map<string, number>; tries(): number; stop(): Promise<void> }> {
  const nodes = await Promise.all(addresses.map((a) => strangerNode(a)))
  const outcomes = new Map<string, number>()
  let stopped = false
  let tries = 0
  const loops = nodes.map(async (node) => {
    while (!stopped) {
      const outcome = await requestRecovery(node, guardian, vaultId, generateEciesKeyPair().publicKey, {
        signal: AbortSignal.timeout(10_000),
      }).then(() => 'recorded', _outcome)
      tries++
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
      // the attacker's pace, not a wait for anything
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })
  return {
    outcomes,
    tries: () => tries,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}
