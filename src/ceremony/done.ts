/**
 * A finished recovery (docs/format.md §Recovery done): the person who recovered says so to every
 * guardian, and each closes that request, so a friend who never got to approve is not left with an
 * Approve box for a week. It carries two BIP340 signatures over one digest: by the vault key, which a
 * recovery only has once it restored the vault, and by the request's one-time recovery key, which only
 * the person who made the request holds. So it proves "the maker of this request now holds the vault":
 * a stranger's request cannot be closed with it by anyone but that stranger, nor the owner's request by
 * someone who stole only the vault key.
 */
import { u64be } from '../crypto/bytes.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH } from '../crypto/ecies.js'
import { taggedHash } from '../crypto/hash.js'
import { type RandomBytes, systemRandom } from '../crypto/random.js'
import { schnorrSign, schnorrVerify } from '../crypto/schnorr.js'

const TAG = 'kith/recovery-done/v1'

/** What the two signatures cover. */
export interface DoneFields {
  readonly vaultId: Uint8Array
  readonly requestId: Uint8Array
  readonly createdAt: number
}

export interface Done extends DoneFields {
  /** By the vault key (x-only: the vault id). */
  readonly vaultSig: Uint8Array
  /** By the request's recovery key. */
  readonly recoverySig: Uint8Array
}

/** TaggedHash("kith/recovery-done/v1", vault_id[32] || request_id[16] || created_at u64 BE). */
export function doneDigest(f: DoneFields): Uint8Array {
  return taggedHash(TAG, f.vaultId, f.requestId, u64be(f.createdAt))
}

/** Sign a request's end with the restored vault key and the request's recovery secret key. */
export function signDone(
  f: DoneFields,
  keys: { readonly vaultSecretKey: Uint8Array; readonly recoverySecretKey: Uint8Array },
  random: RandomBytes = systemRandom,
): Done {
  const digest = doneDigest(f)
  return {
    vaultId: f.vaultId,
    requestId: f.requestId,
    createdAt: f.createdAt,
    vaultSig: schnorrSign(digest, keys.vaultSecretKey, random(32)),
    recoverySig: schnorrSign(digest, keys.recoverySecretKey, random(32)),
  }
}

/** Whether the vault key signed it (checked before anything about the request is read). */
export function vaultSigned(d: Done): boolean {
  return schnorrVerify(d.vaultSig, doneDigest(d), d.vaultId)
}

/** Whether the recovery key a request was made with (compressed, 33 bytes) signed it. */
export function requesterSigned(d: Done, recoveryKey: Uint8Array): boolean {
  if (recoveryKey.length !== COMPRESSED_PUBLIC_KEY_LENGTH) return false
  // BIP340 keys are x-only: the compressed key's parity byte goes
  return schnorrVerify(d.recoverySig, doneDigest(d), recoveryKey.subarray(1))
}
