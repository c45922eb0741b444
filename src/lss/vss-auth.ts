/**
 * VSS's signature authorizer, exactly as lightningdevkit/vss-server checks it
 * (`rust/auth-impls/src/signature.rs`, SignatureValidatingAuthorizer) and vss-client's SigsAuthProvider
 * makes it (`src/headers/sigs_auth.rs`): the `authorization` header is
 *   hex(compressed public key, 33 bytes) || hex(compact ECDSA signature r || s, 64 bytes) || time,
 * the time in decimal Unix seconds, the signature over
 *   SHA-256("VSS Signature Authorizer Signing Salt Constant.................." || public key || time as sent),
 * low-S as libsecp256k1 verifies, the time within a day of now either way. The user is the key's 66 hex
 * characters as sent. Must never let a header through that it has not verified in full.
 */
import * as secp from '@noble/secp256k1'
import { sha256 } from '../crypto/hash.js'
import { VSS_ERROR, VssRefusedError } from './vss-messages.js'

/** The 64 bytes signed before the public key and the time. */
export const VSS_SIGNING_CONSTANT = new TextEncoder().encode(
  'VSS Signature Authorizer Signing Salt Constant..................',
)

/** How far a header's time may be from now, either way (the code's day; its doc comment says an hour). */
export const VSS_AUTH_MAX_SKEW_SECONDS = 60 * 60 * 24

const PUBKEY_HEX = 33 * 2
const SIGNATURE_HEX = 64 * 2
/** secp256k1's group order: a compact signature's r or s at or above it does not parse (libsecp256k1). */
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const U64_MAX = 2n ** 64n - 1n

/** What the signature signs: SHA-256 of the constant, the 33-byte key and the time's text as sent. */
export function vssAuthDigest(publicKey: Uint8Array, time: string): Uint8Array {
  return sha256(VSS_SIGNING_CONSTANT, publicKey, new TextEncoder().encode(time))
}

const _refuse = (message: string) => new VssRefusedError(VSS_ERROR.AUTH_EXCEPTION, message)

/** Hex of either case (hex-conservative's decode), else undefined. */
const _hex = (s: string): Uint8Array | undefined =>
  /^[0-9a-fA-F]*$/.test(s) && s.length % 2 === 0 ? new Uint8Array(Buffer.from(s, 'hex')) : undefined

/** Rust's `u64::from_str`: an optional `+`, then only digits, at most 2^64 − 1. */
function _u64(s: string): bigint | undefined {
  if (!/^\+?[0-9]+$/.test(s)) return undefined
  const v = BigInt(s.replace('+', ''))
  return v <= U64_MAX ? v : undefined
}

/**
 * The user a request's `authorization` header proves it is, checked in the upstream order (each failure
 * is AUTH_EXCEPTION with the upstream message). `nowSeconds`: whole Unix seconds.
 */
export function verifyVssAuthorization(header: string | undefined, nowSeconds: number): string {
  if (header === undefined) throw _refuse('Authorization header not found.')
  if (header.length <= PUBKEY_HEX + SIGNATURE_HEX) throw _refuse('Authorization header has wrong length')
  // ASCII: each character one UTF-8 byte (Node reads a header's bytes as Latin-1, one character each)
  if (Buffer.byteLength(header, 'utf8') !== header.length)
    throw _refuse('Authorization header has bogus chars')
  const pubkeyHex = header.slice(0, PUBKEY_HEX)
  const publicKey = _hex(pubkeyHex)
  const signature = _hex(header.slice(PUBKEY_HEX, PUBKEY_HEX + SIGNATURE_HEX))
  if (publicKey === undefined || signature === undefined) throw _refuse('Authorization header is not hex')
  const timeText = header.slice(PUBKEY_HEX + SIGNATURE_HEX)
  const time = _u64(timeText)
  if (time === undefined) throw _refuse('Time is not an integer')
  const now = BigInt(nowSeconds)
  if (now - BigInt(VSS_AUTH_MAX_SKEW_SECONDS) > time || now + BigInt(VSS_AUTH_MAX_SKEW_SECONDS) < time)
    throw _refuse('Time is too far from now')
  try {
    secp.Point.fromBytes(publicKey)
  } catch {
    throw _refuse('Authorization header has bad pubkey')
  }
  const r = BigInt(`0x${header.slice(PUBKEY_HEX, PUBKEY_HEX + 64)}`)
  const s = BigInt(`0x${header.slice(PUBKEY_HEX + 64, PUBKEY_HEX + SIGNATURE_HEX)}`)
  if (r >= CURVE_ORDER || s >= CURVE_ORDER) throw _refuse('Authorization header has bad sig')
  // lowS: libsecp256k1's verify refuses a high-S signature; a zero r or s fails here too
  if (!secp.verify(signature, vssAuthDigest(publicKey, timeText), publicKey, { prehash: false, lowS: true }))
    throw _refuse('Signature was invalid')
  return pubkeyHex
}
