/**
 * The guardian daemon: a libp2p node serving enroll, push and fetch for the vaults it keeps, and a
 * gossip topic per vault carrying signed heads. A newer head seen on gossip, or learned from a peer at
 * start-up and on every anti-entropy round, is pulled from a peer that has it, verified and stored, so a
 * guardian that was offline catches up without the coordinator. start() and stop() are idempotent.
 */
import '../polyfill.js'
import { unlink } from 'node:fs/promises'
import type { Connection, Stream } from '@libp2p/interface'
import { decodeRecord, encodeRecordBody } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { ed25519Sign } from '../crypto/ed25519.js'
import { ensurePrivateDir, writeFileAtomic } from '../disk/atomic.js'
import { KithError } from '../errors.js'
import { fetchFromPeer, type PeerRef } from '../p2p/client.js'
import { ProtocolViolationError } from '../p2p/errors.js'
import { inviteSecretHash } from '../p2p/invite.js'
import { MSG } from '../p2p/messages.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import { peerIdBytes, samePeer } from '../p2p/peers.js'
import { PROTOCOLS, Wire } from '../p2p/wire.js'
import { verifyChunkId } from '../replica/chunk.js'
import { openHead, signReceipt } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { openRoster } from '../replica/roster.js'
import { guardianPaths } from './config.js'
import { EquivocationError, NotHeldError } from './errors.js'
import {
  authorize,
  type CheckedOffer,
  checkEnrollment,
  checkEvidence,
  checkOffer,
  checkRosterUpdate,
} from './ingest.js'
import { GuardianStore } from './store.js'

export interface GuardianOptions {
  readonly dataDir: string
  readonly listen?: readonly string[]
  readonly announce?: readonly string[]
  /** How often to compare heads with the other guardians; default 60 s. */
  readonly antiEntropyMs?: number
  /** One human line per notable event (never secrets). */
  readonly onEvent?: (line: string) => void
  readonly now?: () => number
}

export const headsTopic = (vaultId: Uint8Array): string => `/kith/heads/1.0.0/${toHex(vaultId)}`

const short = (id: Uint8Array) => toHex(id).slice(0, 12)

export class Guardian {
  private node: KithNode | undefined
  private store: GuardianStore | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly locks = new Map<string, Promise<unknown>>()
  private readonly now: () => number

  constructor(private readonly opts: GuardianOptions) {
    this.now = opts.now ?? Date.now
  }

  get peerId(): string {
    return this._node().peerId.toString()
  }

  get addrs(): string[] {
    return this._node()
      .getMultiaddrs()
      .map((a) => a.toString())
  }

  get db(): GuardianStore {
    if (this.store === undefined) throw new Error('guardian not started')
    return this.store
  }

  private _node(): KithNode {
    if (this.node === undefined) throw new Error('guardian not started')
    return this.node
  }

  private _say(line: string): void {
    this.opts.onEvent?.(line)
  }

  async start(): Promise<void> {
    if (this.node !== undefined) return
    await ensurePrivateDir(this.opts.dataDir)
    const paths = guardianPaths(this.opts.dataDir)
    this.store = GuardianStore.open(paths.db)
    const privateKey = await loadOrCreatePeerKey(paths.peerKey)
    const node = await createKithNode({
      privateKey,
      ...(this.opts.listen ? { listen: this.opts.listen } : {}),
      ...(this.opts.announce ? { announce: this.opts.announce } : {}),
    })
    this.node = node
    const seed = privateKey.raw.subarray(0, 32)
    const handle = (protocol: string, fn: (s: Stream, c: Connection) => Promise<void>) =>
      node.handle(protocol, (s, c) => fn(s, c).catch(() => s.abort(new Error('handler failed'))), {
        maxInboundStreams: 32,
      })
    await handle(PROTOCOLS.enroll, (s, c) => this._onEnroll(s, c))
    await handle(PROTOCOLS.push, (s, c) => this._onPush(s, c, seed))
    await handle(PROTOCOLS.fetch, (s, c) => this._onFetch(s, c))
    await handle(PROTOCOLS.roster, (s, c) => this._onRoster(s, c))
    node.services.pubsub.addEventListener('message', (ev) => {
      const from = ev.detail.type === 'signed' ? ev.detail.from : undefined
      void this._onGossip(ev.detail.topic, ev.detail.data, from ? peerIdBytes(from) : undefined)
    })
    for (const v of this.db.vaults()) node.services.pubsub.subscribe(headsTopic(v.vaultId))
    await writeFileAtomic(paths.runtime, `${JSON.stringify(this.addrs)}\n`)
    this.timer = setInterval(() => void this.antiEntropy(), this.opts.antiEntropyMs ?? 60_000)
    void this.antiEntropy()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    const node = this.node
    this.node = undefined
    await node?.stop()
    await unlink(guardianPaths(this.opts.dataDir).runtime).catch(() => {})
    await Promise.allSettled(this.locks.values())
    this.store?.close()
    this.store = undefined
  }

  /** Run `fn` alone for this vault: pushes and catch-ups of one vault never interleave. */
  private _exclusive<T>(vaultId: Uint8Array, fn: () => Promise<T>): Promise<T> {
    const key = toHex(vaultId)
    const prev = this.locks.get(key) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    const settled = next.catch(() => {})
    this.locks.set(key, settled)
    void settled.then(() => this.locks.get(key) === settled && this.locks.delete(key))
    return next
  }

  // ---- enroll ----

  private async _onEnroll(stream: Stream, conn: Connection): Promise<void> {
    const wire = new Wire(stream, PROTOCOLS.enroll, MSG.enroll.maxBytes)
    try {
      const req = await wire.receive(MSG.enroll)
      const now = this.now()
      const invite = this.db.usableInvite(inviteSecretHash(req['secret'] as Uint8Array), now)
      const { roster } = checkEnrollment(
        this._node().peerId,
        conn.remotePeer,
        req['roster'] as Uint8Array,
        req['share'] as Uint8Array,
      )
      if (this.db.vault(roster.vaultId) !== undefined)
        throw new ProtocolViolationError(PROTOCOLS.enroll, 'vault already enrolled here')
      this.db.enrollVault({
        invite,
        vaultId: roster.vaultId,
        label: (req['label'] as string) || invite.label,
        epoch: roster.epoch,
        roster: roster.bytes,
        share: req['share'] as Uint8Array,
        now,
      })
      this._node().services.pubsub.subscribe(headsTopic(roster.vaultId))
      await wire.send(MSG.enrolled, { quota: invite.quota })
      await stream.close()
      this._say(
        `enrolled vault ${short(roster.vaultId)} "${req['label'] as string}" (${roster.k}-of-${roster.guardians.length})`,
      )
    } catch (err) {
      await this._refuse(wire, err)
    }
  }

  // ---- roster updates ----

  private async _onRoster(stream: Stream, conn: Connection): Promise<void> {
    const wire = new Wire(stream, PROTOCOLS.roster, MSG.roster.maxBytes)
    try {
      const req = await wire.receive(MSG.roster)
      const rosterBytes = req['roster'] as Uint8Array
      const vaultId = openRoster(rosterBytes).vaultId
      await this._exclusive(vaultId, async () => {
        const vault = this.db.requireVault(vaultId)
        const share = req['share'] as Uint8Array | undefined
        const update = checkRosterUpdate(this._node().peerId, conn.remotePeer, vault, rosterBytes, share)
        if (update.removed) {
          this.db.removeVault(vaultId, update.roster.epoch, this.now())
          this._node().services.pubsub.unsubscribe(headsTopic(vaultId))
          this._say(
            `vault ${short(vaultId)} removed this guardian at epoch ${update.roster.epoch}; its data was deleted`,
          )
        } else if (!update.unchanged) {
          this.db.updateRoster(vaultId, update.roster.epoch, update.roster.bytes, share!, this.now())
          this._say(`vault ${short(vaultId)} moved to epoch ${update.roster.epoch}`)
        }
        await wire.send(MSG.ack, {})
        await stream.close()
      })
    } catch (err) {
      await this._refuse(wire, err)
    }
  }

  // ---- push ----

  private async _onPush(stream: Stream, conn: Connection, seed: Uint8Array): Promise<void> {
    const wire = new Wire(stream, PROTOCOLS.push, MSG.offer.maxBytes)
    try {
      const offer = await wire.receive(MSG.offer)
      const manifest = openManifest(offer['manifest'] as Uint8Array)
      const vaultId = manifest.vaultId
      await this._exclusive(vaultId, async () => {
        const vault = this.db.requireVault(vaultId)
        authorize(vault, conn.remotePeer, 'coordinator')
        const checked = checkOffer(this.db, vault, manifest, offer['head'] as Uint8Array, this.now())
        await wire.send(MSG.need, {
          chunks: [...checked.need.keys()].map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
        })
        for (let i = 0; i < checked.need.size; i++) {
          const c = await wire.receive(MSG.chunk)
          this._acceptChunk(vaultId, checked, c['id'] as Uint8Array, c['data'] as Uint8Array)
        }
        if (!checked.duplicate) this._commit(checked)
        const receipt = this._receipt(checked, seed)
        await wire.send(MSG.receipt, { receipt })
        await stream.close()
      })
    } catch (err) {
      if (err instanceof EquivocationError && err.heads) this._announceEquivocation(err)
      await this._refuse(wire, err)
    }
  }

  /** Answer with a named error; an unexpected one is also logged here (its message, never data). */
  private async _refuse(wire: Wire, err: unknown): Promise<void> {
    if (!(err instanceof KithError))
      this._say(`internal error on ${wire.protocol}: ${(err as Error)?.message ?? String(err)}`)
    await wire.sendError(err)
  }

  private _announceEquivocation(err: EquivocationError): void {
    const heads = err.heads!
    const vaultId = openHead(heads.held).vaultId
    this._say(
      `!! EQUIVOCATION in vault ${short(vaultId)}: two different version ${err.version}s; evidence kept and announced`,
    )
    this._publishEvidence(vaultId, heads)
  }

  /** Gossip a proof of equivocation; repeated every anti-entropy round, so late peers hear it too. */
  private _publishEvidence(vaultId: Uint8Array, heads: { held: Uint8Array; offered: Uint8Array }): void {
    void this._node()
      .services.pubsub.publish(headsTopic(vaultId), encodeRecordBody(MSG.evidence, heads))
      .catch(() => {})
  }

  private _acceptChunk(vaultId: Uint8Array, checked: CheckedOffer, id: Uint8Array, data: Uint8Array): void {
    const hex = toHex(id)
    const size = checked.need.get(hex)
    // only chunks the signed manifest lists, that were asked for, and each once
    if (size === undefined) throw new ProtocolViolationError(PROTOCOLS.push, 'chunk not asked for')
    if (data.length !== size)
      throw new ProtocolViolationError(PROTOCOLS.push, 'chunk size differs from the manifest')
    verifyChunkId(id, data)
    this.db.putChunk(vaultId, id, data)
    checked.need.delete(hex)
  }

  private _commit(checked: CheckedOffer): void {
    const m = checked.manifest
    this.db.commitVersion(
      {
        vaultId: m.vaultId,
        version: m.version,
        epoch: m.epoch,
        hash: m.hash,
        createdAt: m.createdAt,
        manifest: m.bytes,
        head: checked.head.bytes,
        chunkIds: m.chunks.map((c) => c.id),
      },
      this.now(),
    )
    this._say(`stored version ${m.version} of vault ${short(m.vaultId)}`)
    void this._node()
      .services.pubsub.publish(headsTopic(m.vaultId), checked.head.bytes)
      .catch(() => {})
  }

  /** Sign (once) the receipt for a durably stored version. */
  private _receipt(checked: CheckedOffer, seed: Uint8Array): Uint8Array {
    const m = checked.manifest
    const held = this.db.receipt(m.vaultId, m.version)
    if (held !== undefined) return held
    const receipt = signReceipt(
      {
        vaultId: m.vaultId,
        epoch: m.epoch,
        version: m.version,
        manifestHash: m.hash,
        guardianKey: this._node().peerId.publicKey!.raw,
        createdAt: this.now(),
      },
      (digest) => ed25519Sign(seed, digest),
    ).bytes
    this.db.putReceipt(m.vaultId, m.version, receipt)
    return receipt
  }

  // ---- fetch ----

  private async _onFetch(stream: Stream, conn: Connection): Promise<void> {
    const wire = new Wire(stream, PROTOCOLS.fetch, MSG.fetch.maxBytes)
    try {
      const req = await wire.receive(MSG.fetch)
      const vault = this.db.requireVault(req['vault_id'] as Uint8Array)
      authorize(vault, conn.remotePeer, 'members')
      const what = req['what'] as number
      let data: Uint8Array | undefined
      if (what === 1) data = vault.head ?? undefined
      else if (what === 2 && req['version'] !== undefined)
        data = this.db.manifest(vault.vaultId, req['version'] as number)
      else if (what === 3 && req['chunk_id'] !== undefined)
        data = this.db.chunk(vault.vaultId, req['chunk_id'] as Uint8Array)
      if (data === undefined) throw new NotHeldError()
      await wire.send(MSG.fetched, { data })
      await stream.close()
    } catch (err) {
      await this._refuse(wire, err)
    }
  }

  // ---- gossip and anti-entropy ----

  private async _onGossip(topic: string, data: Uint8Array, from: Uint8Array | undefined): Promise<void> {
    try {
      if (data[4] === MSG.evidence.kind) return this._onEvidence(topic, data)
      const head = openHead(data)
      if (topic !== headsTopic(head.vaultId) || from === undefined) return
      const vault = this.db.vault(head.vaultId)
      if (vault === undefined || head.version <= vault.headVersion) return
      const roster = openRoster(vault.roster)
      const peer = roster.guardians.find((g) => equalBytes(g.peerId, from))
      if (peer !== undefined) await this._catchUp(head.vaultId, peer)
    } catch {
      // a bad or unreachable announcement is ignored; the next anti-entropy round retries
    }
  }

  private _onEvidence(topic: string, data: Uint8Array): void {
    const f = decodeRecord(MSG.evidence, data).fields
    const held = f['held'] as Uint8Array
    const offered = f['offered'] as Uint8Array
    const { vaultId, version } = checkEvidence(held, offered)
    const vault = this.db.vault(vaultId)
    if (topic !== headsTopic(vaultId) || vault === undefined) return
    this.db.recordEquivocation(
      { vaultId, version, heldHead: held, offeredHead: offered },
      undefined,
      this.now(),
    )
    if (!vault.equivocation)
      this._say(
        `!! EQUIVOCATION in vault ${short(vaultId)} reported by a fellow guardian (version ${version})`,
      )
  }

  /** Compare heads with every other guardian of every vault, and pull what is newer. */
  async antiEntropy(): Promise<void> {
    const node = this.node
    if (node === undefined) return
    for (const vault of this.db.vaults()) {
      const roster = openRoster(vault.roster)
      for (const g of roster.guardians) {
        if (this.node === undefined) return
        if (samePeer(node.peerId, g.peerId)) continue
        await this._catchUp(vault.vaultId, g).catch(() => {})
      }
      if (vault.head !== null) {
        await node.services.pubsub.publish(headsTopic(vault.vaultId), vault.head).catch(() => {})
      }
      if (vault.equivocation)
        for (const e of this.db.evidence(vault.vaultId)) this._publishEvidence(vault.vaultId, e)
    }
  }

  /** If `peer` has a newer head, fetch its manifest and missing chunks, verify and store them. */
  private async _catchUp(vaultId: Uint8Array, peer: PeerRef): Promise<void> {
    const node = this._node()
    const head = openHead(await fetchFromPeer(node, peer, vaultId, { what: 'head' }))
    if (!equalBytes(head.vaultId, vaultId) || head.version <= this.db.requireVault(vaultId).headVersion)
      return
    const manifest = openManifest(
      await fetchFromPeer(node, peer, vaultId, { what: 'manifest', version: head.version }),
      vaultId,
    )
    await this._exclusive(vaultId, async () => {
      const vault = this.db.requireVault(vaultId)
      if (head.version <= vault.headVersion) return
      const checked = checkOffer(this.db, vault, manifest, head.bytes, this.now())
      for (const hex of [...checked.need.keys()]) {
        const id = new Uint8Array(Buffer.from(hex, 'hex'))
        this._acceptChunk(
          vaultId,
          checked,
          id,
          await fetchFromPeer(node, peer, vaultId, { what: 'chunk', id }),
        )
      }
      if (!checked.duplicate) this._commit(checked)
      this._say(`caught up vault ${short(vaultId)} to version ${head.version} from a fellow guardian`)
    })
  }
}
