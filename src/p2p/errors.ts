/** Errors of the p2p layer: wire framing, deadlines, authorization, and errors a peer reported. */
import { KithError, thrownText } from '../errors.js'
import { cleanText } from '../text.js'

/** A peer announced a message longer than the protocol allows; the stream is reset unread. */
export class MessageTooLargeError extends KithError {
  readonly code = 'MESSAGE_TOO_LARGE'
  constructor(protocol: string) {
    super(`a peer sent a message over the size limit of ${protocol}; it was refused unread`, { protocol })
  }
}

/** A message was not the one the protocol expects at this step. */
export class ProtocolViolationError extends KithError {
  readonly code = 'PROTOCOL_VIOLATION'
  constructor(protocol: string, reason: string) {
    super(`peer broke ${protocol}: ${reason}`, { protocol, reason })
  }
}

/**
 * The libp2p stream broke before the exchange ended: reset by the peer (its process died, its connection
 * dropped, it gave up), or aborted here. Not the peer's refusal and not a bug: what it carried stops.
 */
export class StreamBrokenError extends KithError {
  readonly code = 'STREAM_BROKEN'
  constructor(
    protocol: string,
    /** 'reset' (by the peer), 'aborted' (here), 'closed' or 'ended'. */
    readonly how: string,
  ) {
    super(`the stream of ${protocol} broke before the exchange ended (${how})`, { protocol, how })
  }
}

/** A stream did not finish before its deadline. */
export class PeerTimeoutError extends KithError {
  readonly code = 'PEER_TIMEOUT'
  constructor(protocol: string) {
    super(`no answer in time on ${protocol}`, { protocol })
  }
}

/** Could not reach a peer at any of its addresses. */
export class PeerUnreachableError extends KithError {
  readonly code = 'PEER_UNREACHABLE'
  constructor(peer: string) {
    super(`could not reach ${peer.slice(0, 16)}…`, { peer })
  }
}

/** The peer is not named in the vault's signed roster (nor is it its coordinator). */
export class UnauthorizedPeerError extends KithError {
  readonly code = 'UNAUTHORIZED_PEER'
  constructor(peer: string) {
    super(`peer ${peer.slice(0, 16)}… is not allowed to use this vault`, { peer })
  }
}

/** The remote side refused with a named error; `remoteCode` is its stable code. */
/**
 * Another peer's refusal. Its code and message were written by that peer: the code must look like one
 * (else 'UNKNOWN'), and the message is cleaned (src/text.ts) before anything can print or log it.
 */
export class RemoteError extends KithError {
  readonly code = 'REMOTE_ERROR'
  readonly remoteCode: string
  constructor(remoteCode: string, message: string) {
    const code = /^[A-Z][A-Z0-9_]{0,63}$/.test(remoteCode) ? remoteCode : 'UNKNOWN'
    super(`peer refused: ${cleanText(message)} [${code}]`, { remoteCode: code })
    this.remoteCode = code
  }
}

export class InviteUnknownError extends KithError {
  readonly code = 'INVITE_UNKNOWN'
  constructor() {
    super('this invite is not known to the guardian; ask your friend for a new one')
  }
}

export class InviteUsedError extends KithError {
  readonly code = 'INVITE_USED'
  constructor() {
    super('this invite was already used; each invite binds one vault, once')
  }
}

export class InviteExpiredError extends KithError {
  readonly code = 'INVITE_EXPIRED'
  constructor() {
    super('this invite has expired; ask your friend for a new one')
  }
}

/**
 * Codes of what a peer sent that did not verify (a signature, a record's format, a vault, a chain, a
 * certificate, a chunk's id, the protocol's order), as opposed to its refusal or its silence.
 */
const BAD_ANSWER_CODES: ReadonlySet<string> = new Set([
  'BAD_SIGNATURE',
  'MALFORMED_RECORD',
  'UNSUPPORTED_FORMAT',
  'RECORD_TOO_LARGE',
  'MESSAGE_TOO_LARGE',
  'WRONG_VAULT',
  'VERSION_CHAIN',
  'INVALID_CERTIFICATE',
  'INVALID_EVIDENCE',
  'CHUNK_INTEGRITY',
  'BAD_ENTRY',
  'PROTOCOL_VIOLATION',
])

/** Why a peer's answer was dropped where no error was thrown: a code of troubleshooting.md and one line. */
export interface Why {
  readonly code: string
  readonly reason: string
}

/**
 * What a bad answer was, as one code and one line fit for a log or a terminal: a kith error's own code
 * and message, a Why as it is, anything else as INTERNAL. The line is cleaned: it may quote a peer.
 */
export function whyOf(why: unknown): Why {
  const w: Why =
    why instanceof KithError
      ? { code: why.code, reason: why.message }
      : _isWhy(why)
        ? why
        : { code: 'INTERNAL', reason: thrownText(why) }
  return { code: w.code, reason: cleanText(w.reason, 200) }
}

const _isWhy = (x: unknown): x is Why =>
  typeof x === 'object' &&
  x !== null &&
  typeof Reflect.get(x, 'code') === 'string' &&
  typeof Reflect.get(x, 'reason') === 'string'

/** Whether `err` says a peer answered with something that does not verify (never its own refusal). */
export function isBadAnswer(err: unknown): err is KithError {
  return err instanceof KithError && !(err instanceof RemoteError) && BAD_ANSWER_CODES.has(err.code)
}

/** Whether `err` is a peer's refusal with this code (`isRemote(err, 'NOT_HELD')`), or any refusal. */
export function isRemote(err: unknown, code?: string): err is RemoteError {
  return err instanceof RemoteError && (code === undefined || err.remoteCode === code)
}
