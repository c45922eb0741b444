/**
 * The vault key file (docs/format.md §Vault key file): the vault signing key and the key-encryption
 * key that seals each epoch's data key in the database (so rotating the data key is one database
 * transaction). Created with mode 0600, optionally sealed with a passphrase (scrypt, then
 * XChaCha20-Poly1305). Never changes after init; nothing prints or logs it.
 */

import { scryptSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { MalformedRecordError } from '../codec/errors.js'
import { decodeUnsigned, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema, field } from '../codec/schema.js'
import { DecryptionFailedError } from '../crypto/errors.js'
import { type RandomBytes, systemRandom } from '../crypto/random.js'
import { xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { tightenSecretFile, writeFileAtomic } from '../disk/atomic.js'
import { PassphraseError, VaultNotInitializedError } from './errors.js'

const secretsSchema = defineSchema('vault secrets', {
  vaultKey: field.bytes(1, 32),
  kek: field.bytes(2, 32),
})
/** The secrets, inside the key file. */
const SECRETS = defineRecord({
  kind: 'vaultSecrets',
  schema: secretsSchema,
  version: 1,
  maxBytes: 256,
  signed: false,
})

/** How the box is sealed: not at all, or under scrypt(N = 2^log_n, r = 8, p = 1) of the passphrase. */
const KDF = { none: 0, scrypt: 1 } as const

const fileSchema = defineSchema('vault key file', {
  kdf: field.enumeration(1, KDF),
  salt: field.optional(field.bytes(2, 16)),
  logN: field.optional(field.u8(3, { min: 10, max: 22 })),
  nonce: field.optional(field.bytes(4, 24)),
  box: field.varbytes(5, 512),
})
const KEYFILE = defineRecord({
  kind: 'keyFile',
  schema: fileSchema,
  version: 1,
  maxBytes: 1024,
  signed: false,
})

export interface VaultSecrets {
  readonly vaultKey: Uint8Array
  /** Seals the data keys stored in the vault database. */
  readonly kek: Uint8Array
}

const SCRYPT_LOG_N = 17

function _kek(passphrase: string, salt: Uint8Array, logN: number): Uint8Array {
  const N = 2 ** logN
  return new Uint8Array(
    scryptSync(passphrase.normalize('NFKC'), salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }),
  )
}

/** Write the key file (0600 at creation); sealed when a passphrase is given. */
export async function writeKeyFile(path: string, secrets: VaultSecrets, passphrase?: string): Promise<void> {
  await writeFileAtomic(path, encodeKeyFile(secrets, passphrase))
}

/** The key file's bytes (docs/format.md §Vault key file); salt and nonce from `random`. */
export function encodeKeyFile(
  secrets: VaultSecrets,
  passphrase?: string,
  random: RandomBytes = systemRandom,
): Uint8Array {
  const plain = encodeRecordBody(SECRETS, { vaultKey: secrets.vaultKey, kek: secrets.kek })
  let record: Uint8Array
  if (passphrase === undefined) {
    record = encodeRecordBody(KEYFILE, { kdf: 'none', box: plain })
  } else {
    const salt = random(16)
    const nonce = random(24)
    const kek = _kek(passphrase, salt, SCRYPT_LOG_N)
    const box = xchachaSeal(kek, nonce, plain, Uint8Array.of(1))
    kek.fill(0)
    record = encodeRecordBody(KEYFILE, { kdf: 'scrypt', salt, logN: SCRYPT_LOG_N, nonce, box })
  }
  plain.fill(0)
  return record
}

export async function readKeyFile(path: string, dir: string, passphrase?: string): Promise<VaultSecrets> {
  // another user's key file is refused; a wider mode than 0600 is taken back first
  await tightenSecretFile(path)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(path))
  } catch {
    throw new VaultNotInitializedError(dir)
  }
  return decodeKeyFile(bytes, passphrase)
}

/** Open a key file's bytes; WRONG_PASSPHRASE if sealed and the passphrase is missing or wrong. */
export function decodeKeyFile(bytes: Uint8Array, passphrase?: string): VaultSecrets {
  const f = decodeUnsigned(KEYFILE, bytes)
  let plain = f.box
  if (f.kdf === 'scrypt') {
    if (passphrase === undefined) throw new PassphraseError('missing')
    if (f.salt === undefined || f.logN === undefined || f.nonce === undefined)
      throw new MalformedRecordError('vault key file', 'missing-field', 'salt')
    const kek = _kek(passphrase, f.salt, f.logN)
    try {
      plain = xchachaOpen(kek, f.nonce, plain, Uint8Array.of(1), 'vault key file')
    } catch (err) {
      if (err instanceof DecryptionFailedError) throw new PassphraseError('wrong')
      throw err
    } finally {
      kek.fill(0)
    }
  }
  const s = decodeUnsigned(SECRETS, plain)
  return { vaultKey: Uint8Array.from(s.vaultKey), kek: Uint8Array.from(s.kek) }
}
