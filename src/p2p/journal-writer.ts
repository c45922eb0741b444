/**
 * The writer's side of a journal (docs/format.md §Live stream): one kept-open libp2p stream per guardian
 * (`/kith/stream/1.0.0`, the journal's historical name), entries sent to all of them at once, and an
 * append that resolves as soon as W of them hold the entry durably. Each guardian gets its entries in
 * order; one that is behind (it was away, or its stream broke) is first sent what it lacks from the
 * writer's own log, and a broken stream is opened again at the next entry. Nothing here knows what the
 * entries hold.
 */
import type { Stream } from '@libp2p/interface'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { KithError, thrownText } from '../errors.js'
import { errorFields, type Log, silentLog } from '../log.js'
import { cleanText } from '../text.js'
import { RemoteError } from './errors.js'
import { MSG } from './messages.js'
import type { KithNode } from './node.js'
import { openStream, peerIdFromBytes } from './peers.js'
import { PROTOCOLS, Wire } from './wire.js'

export interface JournalTarget {
  readonly label: string
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
}

/** The writer's own log of entries not yet covered by a committed snapshot. */
export interface EntrySource {
  /** Entries from `position` on (encoded records), in order, as far as the log has them. */
  entriesFrom(position: number): Iterable<{ position: number; bytes: Uint8Array }>
  /** The hash of the entry the log has at `position`, if any. */
  hashAt(position: number): Uint8Array | undefined
}

/** How one guardian took an entry. */
export interface AppendOutcome {
  readonly acks: number
  readonly failures: readonly JournalFailure[]
}

/** A guardian that did not take an entry: its label, what went wrong, and its refusal's code if it refused. */
export interface JournalFailure {
  readonly label: string
  readonly error: string
  readonly code?: string
  readonly target: JournalTarget
}

/** The libp2p stream to a guardian, while it is open. */
interface Link {
  readonly stream: Stream
  readonly wire: Wire
  /** The newest position the guardian holds. */
  position: number
}

/** The journal's entries to one guardian, in order, on a stream opened when needed. */
class GuardianWriter {
  private link: Link | undefined
  /** Entries go out one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly target: JournalTarget,
    private readonly node: KithNode,
    private readonly certificate: Uint8Array,
    private readonly entries: EntrySource,
    private readonly log: Log,
  ) {}

  /** The guardian as log lines name it. */
  private get _who(): { guardian: string; peer: string } {
    return {
      guardian: cleanText(this.target.label, 64),
      peer: peerIdFromBytes(this.target.peerId).toString(),
    }
  }

  /** Send one entry (after whatever the guardian lacks before it); resolves once it is acknowledged. */
  send(position: number, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const run = this.queue.then(() => this._send(position, bytes, signal))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async _send(position: number, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const had = this.link !== undefined
    try {
      const link = this.link ?? (await this._open(signal))
      if (link.position < position - 1) {
        this.log.debug({ event: 'journal-catch-up', ...this._who, from: link.position + 1, to: position })
        for (const e of this.entries.entriesFrom(link.position + 1)) {
          if (e.position >= position) break
          await this._one(link, e.bytes, signal)
        }
      }
      await this._one(link, bytes, signal)
    } catch (err) {
      // a link that was up and broke is news; one that cannot be opened again is retried at every entry
      if (had) this.log.warn({ event: 'journal-link-broken', ...this._who, position, ...errorFields(err) })
      else this.log.debug({ event: 'journal-link-failed', ...this._who, position, ...errorFields(err) })
      this.close(err)
      throw err
    }
  }

  private async _one(link: Link, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    await link.wire.send(MSG.entry, { entry: bytes }, { signal })
    const ack = await link.wire.receive(MSG.entryAck, { signal })
    link.position = Math.max(link.position, ack.position)
  }

  private async _open(signal: AbortSignal): Promise<Link> {
    const stream = await openStream(
      this.node,
      this.target.peerId,
      this.target.addrs,
      PROTOCOLS.journal,
      signal,
      this.log,
    )
    const wire = new Wire(stream, PROTOCOLS.journal, MSG.journalState.maxBytes)
    try {
      await wire.send(MSG.journalOpen, { certificate: this.certificate }, { signal })
      const state = await wire.receive(MSG.journalState, { signal })
      const link: Link = { stream, wire, position: state.position }
      // a guardian that was away during a rewind still holds the replaced entry as its newest: it is
      // sent the entry the log has there (a replacement), so its chain follows the committed one
      const mine = this.entries.hashAt(state.position)
      if (state.position > 0 && mine !== undefined && !equalBytes(mine, state.hash)) {
        const same = [...this.entries.entriesFrom(state.position)].find((e) => e.position === state.position)
        if (same !== undefined) await this._one(link, same.bytes, signal)
        this.log.info({ event: 'journal-replaced', ...this._who, position: state.position })
      }
      this.log.info({ event: 'journal-link-opened', ...this._who, position: state.position })
      this.link = link
      return link
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }

  /** Drop the link (it is opened again for the next entry). */
  close(err?: unknown): void {
    const link = this.link
    this.link = undefined
    if (link === undefined) return
    if (err === undefined) void link.stream.close().catch(() => undefined)
    else link.stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

/** Replicates one journal's entries to a vault's guardians. */
export class JournalWriter {
  private readonly guardians = new Map<string, GuardianWriter>()

  constructor(
    private readonly node: KithNode,
    private readonly certificate: Uint8Array,
    private readonly entries: EntrySource,
    /** The writer's p2p logger: links opened, broken and caught up (never an entry's content). */
    private readonly log: Log = silentLog,
  ) {}

  /** The guardians to write to (the vault's members); links to those no longer listed are closed. */
  setTargets(targets: readonly JournalTarget[]): void {
    const keep = new Set(targets.map((t) => toHex(t.peerId)))
    for (const [k, g] of this.guardians)
      if (!keep.has(k)) {
        g.close()
        this.guardians.delete(k)
      }
    for (const t of targets)
      if (!this.guardians.has(toHex(t.peerId)))
        this.guardians.set(
          toHex(t.peerId),
          new GuardianWriter(t, this.node, this.certificate, this.entries, this.log),
        )
  }

  /**
   * Send an entry to every guardian; resolves when `quorum` acknowledged it (the others keep going in
   * the background), or when every guardian answered or failed, or at `signal`'s end: the outcome says
   * how many.
   */
  append(position: number, bytes: Uint8Array, quorum: number, signal: AbortSignal): Promise<AppendOutcome> {
    const all = [...this.guardians.values()]
    return new Promise((resolve) => {
      let acks = 0
      let settled = 0
      const failures: JournalFailure[] = []
      let done = false
      const finish = () => {
        if (done) return
        done = true
        signal.removeEventListener('abort', finish)
        resolve({ acks, failures: [...failures] })
      }
      signal.addEventListener('abort', finish)
      if (all.length === 0) finish()
      for (const g of all)
        g.send(position, bytes, signal).then(
          () => {
            acks++
            settled++
            if (acks >= quorum || settled === all.length) finish()
          },
          (err: unknown) => {
            settled++
            failures.push({
              label: g.target.label,
              error: err instanceof KithError ? err.message : thrownText(err),
              ...(err instanceof RemoteError ? { code: err.remoteCode } : {}),
              target: g.target,
            })
            if (settled === all.length) finish()
          },
        )
    })
  }

  close(): void {
    for (const g of this.guardians.values()) g.close()
    this.guardians.clear()
  }
}
