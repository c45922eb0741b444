/**
 * libsodium's crypto_secretstream_xchacha20poly1305, the pull (decrypt) direction, for the files CLN
 * seals with it: the encrypted hsm_secret and emergency.recover (docs/format.md §Lightning node files,
 * its CLN hsm_secret and emergency.recover parts). Follows jedisct1/libsodium
 * src/libsodium/crypto_secretstream/xchacha20poly1305/secretstream_xchacha20poly1305.c
 * (`crypto_secretstream_xchacha20poly1305_init_pull`, `_pull`, `_rekey`) byte for byte:
 *
 *   header (24)  = random; k = HChaCha20(key, header[0:16])
 *   nonce (12)   = counter (u32 LE, starts at 1) || header[16:24]
 *   message      = c0 (1) || ciphertext (mlen) || mac (16)           (ABYTES = 17)
 *   poly key     = ChaCha20-IETF(k, nonce) block 0, first 32 bytes
 *   block        = ChaCha20-IETF(k, nonce, counter 1) XOR (tag || 63 zero bytes), then block[0] = c0
 *   mac          = Poly1305(ad || pad16(ad) || block (64) || ciphertext || pad16(64 + mlen)
 *                           || u64 LE adlen || u64 LE (64 + mlen))
 *   plaintext    = ChaCha20-IETF(k, nonce, counter 2) XOR ciphertext; tag = block[0] before it was replaced
 *
 * After each message the nonce's last 8 bytes are XORed with the mac's first 8, the counter is
 * incremented, and on a REKEY tag or a counter wrap the key and those 8 bytes are rekeyed. The mac is
 * compared in constant time; nothing is decrypted before it verifies.
 */
import { poly1305 } from '@noble/ciphers/_poly1305.js'
import { chacha20 } from '@noble/ciphers/chacha.js'
import { hchacha20 } from '../crypto/xchacha.js'

export const SECRETSTREAM_KEYBYTES = 32
export const SECRETSTREAM_HEADERBYTES = 24
/** The tag byte and the 16-byte mac. */
export const SECRETSTREAM_ABYTES = 17

export const SECRETSTREAM_TAG_MESSAGE = 0
export const SECRETSTREAM_TAG_PUSH = 1
export const SECRETSTREAM_TAG_REKEY = 2
export const SECRETSTREAM_TAG_FINAL = 3

const COUNTERBYTES = 4
const INONCEBYTES = 8

/** A stream's state: the subkey and the 12-byte IETF nonce (counter || inonce). */
export interface SecretstreamState {
  readonly k: Uint8Array
  readonly nonce: Uint8Array
}

/** `init_pull` (and `init_push` once the header is drawn): the state a 24-byte header opens. */
export function secretstreamInit(key: Uint8Array, header: Uint8Array): SecretstreamState {
  if (key.length !== SECRETSTREAM_KEYBYTES) throw new RangeError('secretstream key must be 32 bytes')
  if (header.length < SECRETSTREAM_HEADERBYTES) throw new RangeError('secretstream header must be 24 bytes')
  const nonce = new Uint8Array(12)
  nonce[0] = 1 // _counter_reset: the counter starts at 1
  nonce.set(header.subarray(16, 24), COUNTERBYTES)
  return { k: hchacha20(key, header.subarray(0, 16)), nonce }
}

/** Little-endian u64 of a length (always below 2^53). */
function _le64(n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true)
  return out
}

const ZEROS = new Uint8Array(16)

/**
 * The mac over (ad, block, ciphertext) and the keystream of block 1 XOR the tag byte. Shared by pull and
 * (in tests) push: libsodium computes the same mac in both.
 */
export function secretstreamMac(
  state: SecretstreamState,
  block: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const polyKey = chacha20(state.k, state.nonce, new Uint8Array(64), undefined, 0).subarray(0, 32)
  const mac = poly1305.create(polyKey)
  mac.update(ad)
  mac.update(ZEROS.subarray(0, (0x10 - ad.length) & 0xf))
  mac.update(block)
  mac.update(ciphertext)
  mac.update(ZEROS.subarray(0, (0x10 - 64 + ciphertext.length) & 0xf))
  mac.update(_le64(ad.length))
  mac.update(_le64(64 + ciphertext.length))
  return mac.digest()
}

/** ChaCha20-IETF block 1 of the state XOR (tag || 63 zeros). */
export function secretstreamTagBlock(state: SecretstreamState, firstByte: number): Uint8Array {
  const block = new Uint8Array(64)
  block[0] = firstByte
  return chacha20(state.k, state.nonce, block, undefined, 1)
}

/** The bytes' sum of differences, without an early exit (sodium_memcmp). */
function _equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** What follows a message, in push and pull alike: inonce ^= mac[0:8], counter++, rekey if due. */
export function secretstreamAdvance(state: SecretstreamState, mac: Uint8Array, tag: number): void {
  for (let i = 0; i < INONCEBYTES; i++) state.nonce[COUNTERBYTES + i]! ^= mac[i]!
  // sodium_increment: little-endian, carrying
  let carry = 1
  for (let i = 0; i < COUNTERBYTES; i++) {
    carry += state.nonce[i]!
    state.nonce[i] = carry & 0xff
    carry >>= 8
  }
  const wrapped = state.nonce.subarray(0, COUNTERBYTES).every((b) => b === 0)
  if ((tag & SECRETSTREAM_TAG_REKEY) !== 0 || wrapped) secretstreamRekey(state)
}

/** `crypto_secretstream_xchacha20poly1305_rekey`: k || inonce = ChaCha20-IETF(k, nonce) XOR (k || inonce). */
export function secretstreamRekey(state: SecretstreamState): void {
  const input = new Uint8Array(SECRETSTREAM_KEYBYTES + INONCEBYTES)
  input.set(state.k)
  input.set(state.nonce.subarray(COUNTERBYTES), SECRETSTREAM_KEYBYTES)
  const out = chacha20(state.k, state.nonce, input, undefined, 0)
  state.k.set(out.subarray(0, SECRETSTREAM_KEYBYTES))
  state.nonce.set(out.subarray(SECRETSTREAM_KEYBYTES), COUNTERBYTES)
  state.nonce.fill(0, 0, COUNTERBYTES)
  state.nonce[0] = 1
}

/**
 * `crypto_secretstream_xchacha20poly1305_pull`: one message (c0 || ciphertext || mac) -> its plaintext and
 * tag, or undefined when it is shorter than 17 bytes or its mac does not verify (wrong key, altered
 * bytes, wrong associated data). The state advances only on success.
 */
export function secretstreamPull(
  state: SecretstreamState,
  message: Uint8Array,
  ad: Uint8Array = new Uint8Array(0),
): { plaintext: Uint8Array; tag: number } | undefined {
  if (message.length < SECRETSTREAM_ABYTES) return undefined
  const mlen = message.length - SECRETSTREAM_ABYTES
  const block = secretstreamTagBlock(state, message[0]!)
  const tag = block[0]!
  block[0] = message[0]!
  const ciphertext = message.subarray(1, 1 + mlen)
  const mac = secretstreamMac(state, block, ciphertext, ad)
  if (!_equalConstantTime(mac, message.subarray(1 + mlen))) return undefined
  const plaintext = chacha20(state.k, state.nonce, ciphertext, undefined, 2)
  secretstreamAdvance(state, mac, tag)
  return { plaintext, tag }
}

/**
 * What CLN does with a whole file: `init_pull` on its first 24 bytes and one `pull` of all the rest, with
 * no associated data; the tag is not looked at. Undefined when it is too short or does not verify.
 */
export function secretstreamOpenFile(key: Uint8Array, file: Uint8Array): Uint8Array | undefined {
  if (file.length < SECRETSTREAM_HEADERBYTES + SECRETSTREAM_ABYTES) return undefined
  const state = secretstreamInit(key, file.subarray(0, SECRETSTREAM_HEADERBYTES))
  return secretstreamPull(state, file.subarray(SECRETSTREAM_HEADERBYTES))?.plaintext
}
