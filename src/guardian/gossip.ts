/**
 * Gossip for the vaults a guardian keeps (docs/format.md §Gossip): one topic per vault whose name only
 * members can compute (it hashes the vault id with the roster's key commitment, which strangers never
 * see), and a validator that accepts a message only from a peer the vault's roster names, before it is
 * delivered or relayed. Cheapest checks first: the sender, then the size; signatures are checked by the
 * receiver (sync.ts).
 */
import { type GossipSub, type Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { toHex } from '../crypto/bytes.js'
import { taggedHash } from '../crypto/hash.js'
import { MSG } from '../p2p/messages.js'
import type { KithNode } from '../p2p/node.js'
import { peerIdBytes, samePeer } from '../p2p/peers.js'
import type { Roster } from '../replica/roster.js'
import { type Role, RosterMembers } from './members.js'

/** The topic of a vault's heads and evidence: hex(TaggedHash("kith/v1/gossip-topic", vault_id || commitment)). */
export function vaultTopic(roster: Pick<Roster, 'vaultId' | 'commitment'>): string {
  return `/kith/heads/2.0.0/${toHex(taggedHash('kith/v1/gossip-topic', roster.vaultId, roster.commitment))}`
}

/** The vaults' topics of one guardian: joined, left, published to, and guarded by a validator. */
export class VaultGossip {
  /** Topic -> the roster that decides who may speak on it. */
  private readonly rosters = new Map<string, Roster>()
  /** Hex of a vault's id -> its one topic: a vault is found without a walk over every vault. */
  private readonly topics = new Map<string, string>()
  /** Who those rosters name, by peer. */
  private readonly members = new RosterMembers()

  private readonly pubsub: GossipSub

  constructor(node: KithNode) {
    if (node.services.pubsub === undefined) throw new Error('vault gossip needs a node that serves vaults')
    this.pubsub = node.services.pubsub
  }

  /** Hear every message this node's gossip delivers (a validator accepted it first). */
  onMessage(listener: (msg: Message) => void): void {
    this.pubsub.addEventListener('message', (ev) => listener(ev.detail))
  }

  /** Subscribe to a vault's topic for this roster (leaving the topic of an older roster). */
  join(roster: Roster): void {
    const topic = vaultTopic(roster)
    const older = this.topics.get(toHex(roster.vaultId))
    if (older !== undefined && older !== topic) this._leave(older)
    const replaced = this.rosters.get(topic)
    if (replaced !== undefined) this.members.remove(topic, replaced)
    this.rosters.set(topic, roster)
    this.topics.set(toHex(roster.vaultId), topic)
    this.members.add(topic, roster)
    this.pubsub.topicValidators.set(topic, (peer, msg) => this._validate(topic, peer, msg))
    this.pubsub.subscribe(topic)
  }

  /** Stop hearing about a vault (it was removed from this guardian). */
  leave(vaultId: Uint8Array): void {
    const topic = this.topics.get(toHex(vaultId))
    if (topic !== undefined) this._leave(topic)
  }

  /** The vault a topic belongs to, if this guardian keeps it. */
  vaultOf(topic: string): Uint8Array | undefined {
    return this.rosters.get(topic)?.vaultId
  }

  /** Whether a kept vault's roster names `peer` as its coordinator (or, for 'members', a guardian). */
  names(peer: PeerId, allow: Role): boolean {
    return this.members.names(peerIdBytes(peer), allow)
  }

  /** Whether a kept vault's roster gives this IP address for one of its guardians. */
  namesHost(host: string): boolean {
    return this.members.namesHost(host)
  }

  /** The current rosters naming `peer` as their coordinator (or, for 'members', a guardian). */
  naming(peer: PeerId, allow: Role): Roster[] {
    return this.members.naming(peerIdBytes(peer), allow)
  }

  /** Publish on a kept vault's topic; a failure (no peer yet) is the caller's to log. */
  async publish(vaultId: Uint8Array, data: Uint8Array): Promise<void> {
    const topic = this.topics.get(toHex(vaultId))
    if (topic !== undefined) await this.pubsub.publish(topic, data)
  }

  private _leave(topic: string): void {
    const roster = this.rosters.get(topic)
    if (roster !== undefined) {
      this.members.remove(topic, roster)
      this.topics.delete(toHex(roster.vaultId))
    }
    this.rosters.delete(topic)
    this.pubsub.topicValidators.delete(topic)
    this.pubsub.unsubscribe(topic)
  }

  /** Accept only what a roster peer sent and relays, and only of a size a head or evidence can have. */
  private _validate(topic: string, relay: PeerId, msg: Message): TopicValidatorResult {
    const roster = this.rosters.get(topic)
    if (roster === undefined) return TopicValidatorResult.Ignore
    const member = (p: PeerId) => roster.guardians.some((g) => samePeer(p, g.peerId))
    if (!member(relay) || msg.type !== 'signed' || !member(msg.from)) return TopicValidatorResult.Reject
    if (msg.data.length > MSG.evidence.maxBytes) return TopicValidatorResult.Reject
    return TopicValidatorResult.Accept
  }
}
