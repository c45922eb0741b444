/**
 * LSS authentication and integrity, exactly as the Validating Lightning Signer computes them
 * (lightning-signer/validating-lightning-signer: `lightning-storage-server/lssd/src/driver.rs`,
 * `lib/src/util.rs` `compute_shared_hmac`, `vls-core/src/persist/mod.rs`):
 * - the shared secret is libsecp256k1's default ECDH: SHA-256 of the compressed shared point
 *   (0x02 | y parity, then x) of the server's secret key and the client's public key;
 * - the client's token is SHA-256 of that shared secret;
 * - a batch's HMAC is HMAC-SHA256 keyed by the shared secret over
 *   shared_secret || nonce || for each (key, version, value) in order: utf8(key) || int64 BE(version) || value,
 *   with nonce 0x01 for the client's Put, 0x02 for the server's Put reply, and the client's nonce for a Get
 *   reply. No length prefixes: the layout is VLS's.
 */
import { createHmac } from 'node:crypto'
import * as secp from '@noble/secp256k1'
import { sha256 } from '../crypto/hash.js'

/** One stored value: its key, version (int64; −1 marks a missing key in a conflict) and bytes. */
export interface LssKeyValue {
  readonly key: string
  readonly version: bigint
  readonly value: Uint8Array
}

/** The ECDH secret between this server's key and a client's public key (33 bytes compressed). */
export function lssSharedSecret(serverSecretKey: Uint8Array, clientPublicKey: Uint8Array): Uint8Array {
  return sha256(secp.getSharedSecret(serverSecretKey, clientPublicKey, true))
}

/** The token a client with that shared secret presents. */
export function lssToken(sharedSecret: Uint8Array): Uint8Array {
  return sha256(sharedSecret)
}

/** The HMAC of a batch of key-values with a nonce. */
export function lssHmac(
  sharedSecret: Uint8Array,
  nonce: Uint8Array,
  kvs: readonly LssKeyValue[],
): Uint8Array {
  const h = createHmac('sha256', sharedSecret)
  h.update(sharedSecret)
  h.update(nonce)
  const version = Buffer.alloc(8)
  for (const kv of kvs) {
    h.update(new TextEncoder().encode(kv.key))
    version.writeBigInt64BE(kv.version)
    h.update(version)
    h.update(kv.value)
  }
  return new Uint8Array(h.digest())
}

/** The nonces of a Put's two HMACs. */
export const PUT_CLIENT_NONCE = Uint8Array.of(0x01)
export const PUT_SERVER_NONCE = Uint8Array.of(0x02)
