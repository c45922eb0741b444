/**
 * Framing for every kith protocol: unsigned-varint length prefixes (the libp2p convention) with a
 * per-protocol cap checked before a byte of the message is buffered, a deadline on every read and
 * write, and error replies turned into RemoteError. On a server's stream with a memory budget
 * (budgetStream), each message's length is also held in the budget before it is read, and the stream is
 * paused while nothing is read. Never reads a message it has not capped.
 */
import type { AbortOptions, Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { decodeUnsigned, encodeRecordBody, type RecordDef, recordKind } from '../codec/record.js'
import type { SchemaFields, Values } from '../codec/schema.js'
import { KithError } from '../errors.js'
import { duration } from '../time/durations.js'
import {
  MessageTooLargeError,
  PeerTimeoutError,
  ProtocolViolationError,
  RemoteError,
  StreamBrokenError,
} from './errors.js'
import { MSG } from './messages.js'

/** Versioned protocol ids. */
export const PROTOCOLS = {
  enroll: '/kith/enroll/2.0.0',
  certify: '/kith/certify/1.0.0',
  /** A session: offers follow each other on one stream, small versions with their chunks inline. */
  push: '/kith/push/2.0.0',
  /** One offer per stream, as coordinators and guardians before 2.0.0 speak it. */
  pushOnce: '/kith/push/1.0.0',
  /** One fetch per stream. */
  fetch: '/kith/fetch/1.0.0',
  /** A session: fetches follow each other on one stream, answered in order (a restore's chunks). */
  fetchSession: '/kith/fetch/2.0.0',
  roster: '/kith/roster/1.0.0',
  recover: '/kith/recover/2.0.0',
  veto: '/kith/veto/1.0.0',
  /** A finished recovery closes its request (docs/format.md §Recovery done). */
  done: '/kith/recovery-done/1.0.0',
  drill: '/kith/drill/1.0.0',
  /** A journal's entries (the id keeps the journal's historical name, stream). */
  journal: '/kith/stream/1.0.0',
  /** The vault's coordinator hands a guardian the kith release file it runs (§Release offer). */
  releaseFile: '/kith/release-file/1.0.0',
} as const

/**
 * Whether the peer closed its end (or the stream is gone): between a session's messages, that is its end,
 * and this end is closed too. False while the stream is open both ways.
 */
function _sessionEnded(stream: Stream): boolean {
  if (stream.remoteWriteStatus !== 'closed' && stream.status === 'open') return false
  void stream.close().catch(() => undefined /* gone already */)
  return true
}

/** Run a client's steps; if one fails, abort the stream so the peer's handler stops at once. */
export async function abortOnFailure<T>(stream: Stream, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps()
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Close after the last reply. The answer is already in hand: a peer that reset the stream after
 * answering changes nothing, so a failed close is not an error of the call. */
export async function closeAfterReply(stream: Stream): Promise<void> {
  await stream.close().catch(() => undefined)
}

/** A step's options: its own deadline may replace the wire's (a push session's wait between offers). */
export interface StepOptions extends AbortOptions {
  readonly timeoutMs?: number
}

function _signal(options: StepOptions | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(options?.timeoutMs ?? ms)
  return options?.signal ? AbortSignal.any([options.signal, timeout]) : timeout
}

/** What libp2p throws when a stream is gone under a read or a write. */
const BROKEN = new Set(['StreamResetError', 'StreamStateError', 'StreamClosedError', 'StreamAbortedError'])

/**
 * What a server may hold in memory for one stream's peer (guardian/memory.ts): a Wire holds each
 * message's length before it reads the message, until it reads the next one or the handler is done,
 * and each message it sends while the peer has not taken it yet.
 */
export interface StreamMemory {
  /** Count `bytes` more; throws a named error, counting nothing, when they do not fit. */
  hold(bytes: number): void
  /** Count `bytes` fewer. */
  free(bytes: number): void
}

const MEMORY = Symbol('kith.streamMemory')
type BudgetedStream = Stream & { [MEMORY]?: StreamMemory }

/**
 * Make every Wire on `stream` read and send within `memory`, and keep the stream paused while it is not
 * reading: what the peer sends meanwhile waits in its Yamux window (no more is granted), not in memory.
 * A guardian gives every inbound stream its budget before the stream's handler runs.
 */
export function budgetStream(stream: Stream, memory: StreamMemory): void {
  ;(stream as BudgetedStream)[MEMORY] = memory
}

/**
 * A signal that aborts when `stream` closes (or at once if it is not open): what waits for its peer is
 * waited for no longer once the peer left. `release` removes the listener.
 */
export function whileOpen(stream: Stream): { signal: AbortSignal; release: () => void } {
  const gone = new AbortController()
  const leave = () => gone.abort()
  stream.addEventListener('close', leave)
  if (stream.status !== 'open') leave()
  return { signal: gone.signal, release: () => stream.removeEventListener('close', leave) }
}

/** The bytes of a length prefix read so far, as lpStream hands them to its decoder. */
interface LengthPrefix {
  readonly byteLength: number
  get(index: number): number
}

/** What lpStream's own decoder throws for a length prefix longer than allowed (see `_guard`). */
class LengthPrefixTooLongError extends Error {
  override name = 'InvalidDataLengthLengthError'
}

export class Wire {
  private readonly lp: LengthPrefixedStream<Stream>
  /** The framing options; lpStream reads maxDataLength at every read, so each read gets its own cap. */
  private readonly framing: {
    maxDataLength: number
    maxLengthLength: number
    maxBufferSize: number
    lengthDecoder: (prefix: LengthPrefix) => number
  }
  private readonly cap: number
  /** The stream's memory budget, if its server gave it one (budgetStream). */
  private readonly memory: StreamMemory | undefined
  /** Bytes held for the message read last: the handler is done with it when it reads the next. */
  private held = 0

  constructor(
    readonly stream: Stream,
    readonly protocol: string,
    maxMessageBytes: number,
    /** Per-step deadline; a push of many chunks gets it per message, not for the whole stream. */
    private readonly timeoutMs = duration('step'),
  ) {
    // an error reply may come at any step, so it always fits
    this.cap = Math.max(maxMessageBytes, MSG.error.maxBytes)
    // libp2p buffers what arrives without backpressure; protocols keep at most a couple of messages
    // in flight (push acks every chunk), so room for two of the largest is enough
    this.framing = {
      maxDataLength: this.cap,
      maxLengthLength: 5,
      maxBufferSize: 2 * this.cap + 64 * 1024,
      lengthDecoder: (prefix) => this._length(prefix),
    }
    this.memory = (stream as BudgetedStream)[MEMORY]
    this.lp = lpStream(stream, this.framing)
    this._pause()
  }

  /** Send one message. */
  async send<S extends SchemaFields>(
    def: RecordDef<S>,
    values: Values<S>,
    options?: StepOptions,
  ): Promise<void> {
    await this._write(encodeRecordBody(def, values), options, true)
  }

  /** Send a named error reply as the answer to one request, and go on (sendError ends the stream). */
  async tell(err: unknown): Promise<void> {
    const e = err instanceof KithError ? err : undefined
    // at most 1 KiB, and never refused for want of memory: a refusal for want of memory is said this way
    const reply = { code: e?.code ?? 'INTERNAL', message: (e?.message ?? 'internal error').slice(0, 500) }
    await this._write(encodeRecordBody(MSG.error, reply), undefined, false)
  }

  /** Send a named error reply, then close; never throws (the peer may be gone). */
  async sendError(err: unknown): Promise<void> {
    try {
      // nothing more is read: stop granting the peer flow-control window, so it cannot keep sending
      if (this.stream.readStatus === 'readable') this.stream.pause()
      await this.tell(err)
      await this.stream.close({ signal: AbortSignal.timeout(duration('streamClose')) })
      // a refused peer has nothing more to say: an honest client resets as soon as it reads the error;
      // whatever else arrives would sit unread in memory, so after a moment the stream is reset
      await this._peerDone(duration('refusedGrace'))
      if (this.stream.status === 'open' || this.stream.status === 'closing')
        this.stream.abort(new Error('refused'))
    } catch {
      // the peer is gone or stopped reading: the error could not be told, so the stream is dropped
      this.stream.abort(new Error('closing after error'))
    }
  }

  /** Resolves when the peer closed its end or reset the stream, or after `ms`. */
  private _peerDone(ms: number): Promise<void> {
    const s = this.stream
    if (
      s.remoteWriteStatus === 'closed' ||
      s.status === 'closed' ||
      s.status === 'reset' ||
      s.status === 'aborted'
    )
      return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        s.removeEventListener('remoteCloseWrite', done)
        s.removeEventListener('close', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      s.addEventListener('remoteCloseWrite', done)
      s.addEventListener('close', done)
    })
  }

  /** Receive the next message, which must be of kind `def`; an error reply becomes RemoteError. */
  async receive<S extends SchemaFields>(def: RecordDef<S>, options?: StepOptions): Promise<Values<S>> {
    const bytes = await this._read(def.maxBytes, options)
    if (recordKind(bytes) !== def.kind)
      throw new ProtocolViolationError(this.protocol, `expected ${def.schema.record}`)
    return decodeUnsigned(def, bytes)
  }

  /**
   * A session's next message, or undefined when the session is over: the peer closed its end between
   * messages, or sent nothing for `idleMs`.
   */
  async receiveNext<S extends SchemaFields>(
    def: RecordDef<S>,
    idleMs: number,
  ): Promise<Values<S> | undefined> {
    try {
      return await this.receive(def, { timeoutMs: idleMs })
    } catch (err) {
      if (err instanceof PeerTimeoutError || _sessionEnded(this.stream)) return undefined
      throw err
    }
  }

  /** Receive the next message, of kind `a` (first of the pair) or `b` (second). */
  async receiveEither<A extends SchemaFields, B extends SchemaFields>(
    a: RecordDef<A>,
    b: RecordDef<B>,
    options?: StepOptions,
  ): Promise<[Values<A>, undefined] | [undefined, Values<B>]> {
    const bytes = await this._read(Math.max(a.maxBytes, b.maxBytes), options)
    if (recordKind(bytes) === a.kind) return [decodeUnsigned(a, bytes), undefined]
    if (recordKind(bytes) === b.kind) return [undefined, decodeUnsigned(b, bytes)]
    throw new ProtocolViolationError(this.protocol, `expected ${a.schema.record} or ${b.schema.record}`)
  }

  /** The next message's bytes, at most `maxBytes`; an error reply becomes RemoteError. */
  private async _read(maxBytes: number, options?: StepOptions): Promise<Uint8Array> {
    // the handler asks for the next message once it is done with the last one
    this.memory?.free(this.held)
    this.held = 0
    // the length of what arrives is checked against this step's message, not the protocol's largest:
    // a first message of a stranger is refused unread if it claims more than that message can be
    this.framing.maxDataLength = Math.min(this.cap, Math.max(maxBytes, MSG.error.maxBytes))
    this._resume()
    const list = await this._guard(() => this.lp.read({ signal: _signal(options, this.timeoutMs) })).finally(
      () => this._pause(),
    )
    const bytes = list.subarray()
    if (recordKind(bytes) === MSG.error.kind) {
      const f = decodeUnsigned(MSG.error, bytes)
      throw new RemoteError(f.code, f.message)
    }
    return bytes
  }

  /**
   * A message's length from its prefix (an unsigned varint), held in the stream's budget if it has one,
   * before a byte of the message is read (a length over this step's cap is lpStream's to refuse). A
   * RangeError while the prefix is incomplete makes lpStream read another byte.
   */
  private _length(prefix: LengthPrefix): number {
    let n = 0
    for (let i = 0; i < prefix.byteLength; i++) {
      const b = prefix.get(i)
      n += (b & 0x7f) * 2 ** (7 * i)
      if (b >= 0x80) continue
      if (this.memory !== undefined && n <= this.framing.maxDataLength) {
        this.memory.hold(n)
        this.held = n
      }
      return n
    }
    // lpStream checks the prefix's length only once it decodes, so an endless one is stopped here
    if (prefix.byteLength >= this.framing.maxLengthLength) throw new LengthPrefixTooLongError()
    throw new RangeError('the length prefix goes on')
  }

  /** Send `bytes`, held in the stream's budget (if `counted`) until the peer's window took them. */
  private async _write(bytes: Uint8Array, options: StepOptions | undefined, counted: boolean): Promise<void> {
    const held = counted && this.memory !== undefined ? bytes.length : 0
    if (held > 0) this.memory?.hold(held)
    try {
      await this._guard(() => this.lp.write(bytes, { signal: _signal(options, this.timeoutMs) }))
    } finally {
      if (held > 0) this.memory?.free(held)
    }
  }

  /** With a budget, a stream is read only while a message is awaited: the rest waits in its window. */
  private _pause(): void {
    if (this.memory !== undefined && this.stream.readStatus === 'readable') this.stream.pause()
  }

  private _resume(): void {
    if (this.memory !== undefined && this.stream.readStatus === 'paused') this.stream.resume()
  }

  /** How the stream ended, for a line that says what happened. */
  private _how(): string {
    const status = this.stream.status
    return status === 'reset' || status === 'aborted' || status === 'closed' ? status : 'ended'
  }

  private async _guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof KithError) throw err
      const name = (err as Error)?.name
      if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
        this.stream.abort(err as Error)
        throw new MessageTooLargeError(this.protocol)
      }
      if (name === 'TimeoutError' || name === 'AbortError') {
        this.stream.abort(new Error('deadline'))
        throw new PeerTimeoutError(this.protocol)
      }
      // a stream that ends before its answer is a broken stream, not proof of a lie: an honest peer
      // stopped or restarted mid-call ends it so too (a truncated record that arrived is MALFORMED_RECORD)
      if (name === 'UnexpectedEOFError') throw new StreamBrokenError(this.protocol, 'ended')
      // a write waiting for the peer to read rejects with the stream's close event itself, not an Error
      if (err instanceof Event || BROKEN.has(name)) throw new StreamBrokenError(this.protocol, this._how())
      throw err
    }
  }
}
