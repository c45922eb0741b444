/**
 * VSS's signature authorizer against a golden header and upstream's own cases
 * (lightningdevkit/vss-server `rust/auth-impls/src/signature.rs` test_sig: a valid header, a day and 10 s
 * either way, five characters of the signature or of the key zeroed), and the rest of its checks in order.
 * The golden header is vss-client's `build_token` for the secret key [42; 32] at time 1700000000: its
 * signature made by libsecp256k1 itself (tiny-secp256k1, as rust-secp256k1 signs), and by the ported
 * client (noble, RFC 6979) to the same bytes.
 */
import * as secp from '@noble/secp256k1'
import * as libsecp from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import { VSS_AUTH_MAX_SKEW_SECONDS, verifyVssAuthorization, vssAuthDigest } from '../../src/lss/vss-auth.js'
import { VSS_ERROR, VssRefusedError } from '../../src/lss/vss-messages.js'
import { sigsAuthToken } from '../helpers/vss-client.js'

const SECRET_42 = new Uint8Array(32).fill(42)
const TIME = 1_700_000_000
const PUBKEY_42 = '035be5e9478209674a96e60f1f037f6176540fd001fa1d64694770c56a7709c42c'
const SIG_42 =
  'facd4f04afbbcd95d4bc143df56507f6407bd2a981ca10f216eb8888f7ceb711' +
  '7795ae377c33e6304af9c82f07e76408c9e846214fd4126e5f771626852e0d80'
const GOLDEN = `${PUBKEY_42}${SIG_42}${TIME}`
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** The refusal's message, or the user when it verifies. */
function outcome(header: string | undefined, now = TIME): string {
  try {
    return `user ${verifyVssAuthorization(header, now)}`
  } catch (err) {
    expect(err).toBeInstanceOf(VssRefusedError)
    expect((err as VssRefusedError).errorCode).toBe(VSS_ERROR.AUTH_EXCEPTION)
    return (err as Error).message
  }
}

/** A header signed by libsecp256k1 over `time` as given (text), with `secret`. */
function signed(secret: Uint8Array, time: string): string {
  const pubkey = libsecp.pointFromScalar(secret, true)!
  const sig = libsecp.sign(vssAuthDigest(pubkey, time), secret)
  return Buffer.from(pubkey).toString('hex') + Buffer.from(sig).toString('hex') + time
}

/** `header` with the characters in [from, to) replaced by '0' (upstream's tampering). */
const zeroed = (header: string, from: number, to: number) =>
  [...header].map((c, i) => (i >= from && i < to ? '0' : c)).join('')

describe('the golden header', () => {
  it('libsecp256k1 signs it so', () => {
    expect(signed(SECRET_42, String(TIME))).toBe(GOLDEN)
  })

  it('the ported vss-client makes it byte for byte', async () => {
    expect(await sigsAuthToken(SECRET_42, TIME)).toBe(GOLDEN)
  })

  it("verifies, and the user is the key's hex", () => {
    expect(outcome(GOLDEN)).toBe(`user ${PUBKEY_42}`)
  })
})

describe("upstream's test_sig", () => {
  it('a fresh header from the ported client verifies', async () => {
    const now = Math.floor(Date.now() / 1000)
    const pubkey = Buffer.from(secp.getPublicKey(SECRET_42, true)).toString('hex')
    expect(outcome(await sigsAuthToken(SECRET_42, now), now)).toBe(`user ${pubkey}`)
  })

  it('a day and 10 s in the future is refused', () => {
    expect(outcome(signed(SECRET_42, String(TIME + VSS_AUTH_MAX_SKEW_SECONDS + 10)))).toBe(
      'Time is too far from now',
    )
  })

  it('a day and 10 s in the past is refused', () => {
    expect(outcome(signed(SECRET_42, String(TIME - VSS_AUTH_MAX_SKEW_SECONDS - 10)))).toBe(
      'Time is too far from now',
    )
  })

  it('five characters of the signature zeroed: refused', () => {
    expect(outcome(zeroed(GOLDEN, 33 * 2 + 10, 33 * 2 + 15))).toBe('Signature was invalid')
  })

  it('five characters of the key zeroed: refused', () => {
    expect(outcome(zeroed(GOLDEN, 10, 15))).not.toMatch(/^user /)
  })
})

describe('the time window', () => {
  it('exactly a day either way is still in', () => {
    expect(outcome(GOLDEN, TIME + VSS_AUTH_MAX_SKEW_SECONDS)).toMatch(/^user /)
    expect(outcome(GOLDEN, TIME - VSS_AUTH_MAX_SKEW_SECONDS)).toMatch(/^user /)
  })

  it('a second past a day either way is out (a replayed header from yesterday)', () => {
    expect(outcome(GOLDEN, TIME + VSS_AUTH_MAX_SKEW_SECONDS + 1)).toBe('Time is too far from now')
    expect(outcome(GOLDEN, TIME - VSS_AUTH_MAX_SKEW_SECONDS - 1)).toBe('Time is too far from now')
  })

  it('a time changed after signing is refused', () => {
    expect(outcome(GOLDEN.replace(/1700000000$/, '1700000001'))).toBe('Signature was invalid')
  })
})

describe('forgeries', () => {
  it('a high-S signature (n − s) is refused, though it is the same signature mathematically', () => {
    const s = BigInt(`0x${SIG_42.slice(64)}`)
    const highS = SIG_42.slice(0, 64) + (N - s).toString(16).padStart(64, '0')
    const header = `${PUBKEY_42}${highS}${TIME}`
    const digest = vssAuthDigest(Buffer.from(PUBKEY_42, 'hex'), String(TIME))
    expect(
      secp.verify(Buffer.from(highS, 'hex'), digest, Buffer.from(PUBKEY_42, 'hex'), {
        prehash: false,
        lowS: false,
      }),
    ).toBe(true)
    expect(outcome(header)).toBe('Signature was invalid')
  })

  it("another key with this key's signature is refused", () => {
    const other = Buffer.from(secp.getPublicKey(new Uint8Array(32).fill(7), true)).toString('hex')
    expect(outcome(`${other}${SIG_42}${TIME}`)).toBe('Signature was invalid')
  })

  it('r or s at or above the group order does not parse', () => {
    expect(outcome(`${PUBKEY_42}${N.toString(16)}${SIG_42.slice(64)}${TIME}`)).toBe(
      'Authorization header has bad sig',
    )
    expect(outcome(`${PUBKEY_42}${SIG_42.slice(0, 64)}${'f'.repeat(64)}${TIME}`)).toBe(
      'Authorization header has bad sig',
    )
  })

  it('a zero signature parses but does not verify', () => {
    expect(outcome(`${PUBKEY_42}${'0'.repeat(128)}${TIME}`)).toBe('Signature was invalid')
  })

  it('a key that is not a point is refused', () => {
    expect(outcome(`02${'ff'.repeat(32)}${SIG_42}${TIME}`)).toBe('Authorization header has bad pubkey')
    expect(outcome(`04${PUBKEY_42.slice(2)}${SIG_42}${TIME}`)).toBe('Authorization header has bad pubkey')
  })
})

describe('the shape, checked in upstream order', () => {
  it('no header', () => {
    expect(outcome(undefined)).toBe('Authorization header not found.')
  })

  it('194 characters or fewer (no time at all) is the wrong length', () => {
    expect(outcome(`${PUBKEY_42}${SIG_42}`)).toBe('Authorization header has wrong length')
    expect(outcome('')).toBe('Authorization header has wrong length')
  })

  it('a character that is not ASCII', () => {
    expect(outcome(`${GOLDEN}é`)).toBe('Authorization header has bogus chars')
  })

  it('a key or signature that is not hex', () => {
    expect(outcome(`g${GOLDEN.slice(1)}`)).toBe('Authorization header is not hex')
    expect(outcome(`${PUBKEY_42}${SIG_42.slice(0, 127)}z${TIME}`)).toBe('Authorization header is not hex')
  })

  it('a time that is not an unsigned integer, or beyond 2^64 − 1', () => {
    expect(outcome(`${PUBKEY_42}${SIG_42}1.7e9`)).toBe('Time is not an integer')
    expect(outcome(`${PUBKEY_42}${SIG_42}-1`)).toBe('Time is not an integer')
    expect(outcome(`${PUBKEY_42}${SIG_42} 1700000000`)).toBe('Time is not an integer')
    expect(outcome(`${PUBKEY_42}${SIG_42}18446744073709551616`)).toBe('Time is not an integer')
  })

  it("a time with a leading + or zeros is read as Rust's u64 parse reads it, and signed as sent", () => {
    expect(outcome(signed(SECRET_42, `+${TIME}`))).toMatch(/^user /)
    expect(outcome(signed(SECRET_42, `000${TIME}`))).toMatch(/^user /)
  })

  it('the time is checked before the key: a bad key at a stale time is told the time', () => {
    expect(outcome(`02${'ff'.repeat(32)}${SIG_42}${TIME}`, TIME + 2 * VSS_AUTH_MAX_SKEW_SECONDS)).toBe(
      'Time is too far from now',
    )
  })

  it('upper-case hex verifies, and the user is the key as sent (upstream keeps the text)', () => {
    const upper = signed(SECRET_42, String(TIME)).slice(0, 66).toUpperCase() + GOLDEN.slice(66)
    expect(outcome(upper)).toBe(`user ${PUBKEY_42.toUpperCase()}`)
  })
})
