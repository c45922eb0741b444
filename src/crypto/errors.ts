/** Errors of the crypto layer. Messages name what failed, never the key or the data. */
import { KithError } from '../errors.js'

/** AEAD authentication failed: wrong key, wrong nonce, or tampered ciphertext. */
export class DecryptionFailedError extends KithError {
  readonly code = 'DECRYPTION_FAILED'
  constructor(what: string) {
    super(`could not decrypt ${what}: wrong key or the data was altered`, { what })
  }
}

/** A bech32m text form did not decode, had the wrong checksum, or the wrong prefix. */
export class InvalidTextFormError extends KithError {
  readonly code = 'INVALID_TEXT_FORM'
  constructor(kind: string, reason: string) {
    super(`that is not a valid ${kind} (${reason}); check for typos`, { kind, reason })
  }
}

/** A public key did not parse as a point on secp256k1 / ed25519. */
export class InvalidPublicKeyError extends KithError {
  readonly code = 'INVALID_PUBLIC_KEY'
  constructor(what: string) {
    super(`invalid public key for ${what}`, { what })
  }
}
