/**
 * The client side of `/kith/fetch/2.0.0`: many fetches on one stream, for a restore's chunks and the
 * chunks a guardian takes from its fellows.
 */
import type { Stream } from '@libp2p/interface'
import { toHex } from '../crypto/bytes.js'
import { errorFields, type Log, silentLog } from '../log.js'
import { type FetchRequest, fetchFields, fetchFromPeer, type PeerRef } from './client.js'
import { isRemote, StreamBrokenError } from './errors.js'
import { MSG } from './messages.js'
import type { KithNode } from './node.js'
import { openStream, peerText } from './peers.js'
import { PROTOCOLS, type StepOptions, Wire } from './wire.js'

/**
 * Many fetches from one peer on one stream (`/kith/fetch/2.0.0`): each request goes out when it is
 * asked, without waiting for the replies before it, and the replies come back in the same order. A
 * NOT_HELD answer rejects its request alone. Any other failure (a refusal, a deadline, a reset) ends
 * the session: it and every request after it reject, and `broken` turns true; the caller asks
 * elsewhere or opens another. A restore's chunks come this way, without a new stream and a protocol
 * negotiation for each.
 */
export class FetchSession {
  private sending: Promise<unknown> = Promise.resolve()
  private reading: Promise<unknown> = Promise.resolve()
  private failed = false

  private constructor(
    private readonly stream: Stream,
    private readonly wire: Wire,
  ) {}

  /**
   * Open a session with `peer`, or undefined if it speaks only one fetch per stream (a guardian before
   * 2.0.0): the caller then fetches with fetchFromPeer. Throws if the peer cannot be reached.
   */
  static async open(
    node: KithNode,
    peer: PeerRef,
    signal?: AbortSignal,
    log: Log = silentLog,
  ): Promise<FetchSession | undefined> {
    const stream = await openStream(
      node,
      peer.peerId,
      peer.addrs,
      [PROTOCOLS.fetchSession, PROTOCOLS.fetch],
      signal,
      log,
    )
    if (stream.protocol !== PROTOCOLS.fetchSession) {
      await stream.close().catch(() => undefined)
      return undefined
    }
    return new FetchSession(stream, new Wire(stream, PROTOCOLS.fetchSession, MSG.fetched.maxBytes))
  }

  /** True once the session ended (a failure other than NOT_HELD, or close()): it takes no more. */
  get broken(): boolean {
    return this.failed
  }

  /** Ask for one thing; resolves with its bytes, in the order asked. The caller verifies them. */
  fetch(vaultId: Uint8Array, req: FetchRequest, options?: StepOptions): Promise<Uint8Array> {
    const fields = fetchFields(vaultId, req)
    const sent = this.sending.then(() => this._step(() => this.wire.send(MSG.fetch, fields, options)))
    this.sending = sent.catch(() => undefined)
    const got = Promise.all([sent, this.reading]).then(() =>
      this._step(() => this.wire.receive(MSG.fetched, options)),
    )
    this.reading = got.catch(() => undefined)
    return got.then((reply) => reply.data)
  }

  /** End the session (the peer's side ends when it reads the close). */
  async close(): Promise<void> {
    if (this.failed) return
    this.failed = true
    await this.stream.close().catch(() => undefined)
  }

  private async _step<T>(fn: () => Promise<T>): Promise<T> {
    // ended by an earlier failure: a broken session, whoever broke it (never counted as a lie)
    if (this.failed) throw new StreamBrokenError(PROTOCOLS.fetchSession, 'ended')
    try {
      return await fn()
    } catch (err) {
      if (isRemote(err) && err.remoteCode === 'NOT_HELD') throw err // an answer: the session goes on
      this.failed = true
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }
}

/**
 * Sessions with several peers: each opened when first needed, and again after it broke. A fetch goes
 * on the peer's session; where the peer has none (it speaks only 1.0.0, or could not be reached) or its
 * session broke on this request, on a stream of its own.
 */
export class FetchSessions {
  private readonly byPeer = new Map<string, Promise<FetchSession | undefined>>()

  constructor(
    private readonly node: KithNode,
    /** The longest one fetch may take. */
    private readonly timeoutMs: number,
    /** The owner's p2p logger: sessions opened and broken, fetches sent one stream each instead. */
    private readonly log: Log = silentLog,
  ) {}

  async fetch(
    peer: PeerRef,
    vaultId: Uint8Array,
    req: FetchRequest,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const session = await this._session(peer)
    if (session !== undefined) {
      try {
        return await session.fetch(vaultId, req, { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) })
      } catch (err) {
        if (!session.broken) throw err // NOT_HELD: the peer's answer, not a broken session
        this.log.debug({ event: 'fetch-session-broken', peer: peerText(peer.peerId), ...errorFields(err) })
      }
    }
    const timeout = AbortSignal.timeout(this.timeoutMs)
    return fetchFromPeer(this.node, peer, vaultId, req, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      log: this.log,
    })
  }

  /** The peer's session: the one open, or a new one in place of one that broke. */
  private async _session(peer: PeerRef): Promise<FetchSession | undefined> {
    const key = toHex(peer.peerId)
    const held = this.byPeer.get(key)
    if (held !== undefined) {
      const s = await held
      if (s === undefined || !s.broken) return s
      if (this.byPeer.get(key) !== held) return this._session(peer) // another caller reopened it
    }
    const opening = FetchSession.open(this.node, peer, AbortSignal.timeout(this.timeoutMs), this.log).then(
      (s) => {
        this.log.debug({
          event: 'fetch-session-opened',
          peer: peerText(peer.peerId),
          session: s !== undefined,
        })
        return s
      },
      () => undefined, // unreachable now: its fetches go one stream each, which name the failure
    )
    this.byPeer.set(key, opening)
    return opening
  }

  /** End every session; idempotent. */
  async close(): Promise<void> {
    const open = [...this.byPeer.values()]
    this.byPeer.clear()
    await Promise.all(open.map(async (p) => (await p)?.close()))
  }
}
