/**
 * The vault key file (docs/format.md §Vault key file): the vault signing key and the key-encryption
 * key that seals each epoch's data key in the database (so rotating the data key is one database
 * transaction). Created with mode 0600, optionally sealed with a passphrase (scrypt, then
 * XChaCha20-Poly1305). Never changes after init; nothing prints or logs it.
 */
import { scryptSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { decodeRecord, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { DecryptionFailedError } from '../crypto/errors.js'
import { type RandomBytes, systemRandom } from '../crypto/random.js'
import { xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { writeFileAtomic } from '../disk/atomic.js'
import { PassphraseError, VaultNotInitializedError } from './errors.js'

const secretsSchema = defineSchema('vault secrets', [
  { tag: 1, name: 'vault_key', type: 'bytes', length: 32 },
  { tag: 2, name: 'kek', type: 'bytes', length: 32 },
])
/** Record kind 9: the secrets, inside the key file. */
const SECRETS = defineRecord({ schema: secretsSchema, kind: 9, version: 1, maxBytes: 256, signed: false })

const fileSchema = defineSchema('vault key file', [
  // 0: not sealed (the box is the secrets record); 1: scrypt(N = 2^log_n, r = 8, p = 1)
  { tag: 1, name: 'kdf', type: 'u8', max: 1 },
  { tag: 2, name: 'salt', type: 'bytes', length: 16, optional: true },
  { tag: 3, name: 'log_n', type: 'u8', min: 10, max: 22, optional: true },
  { tag: 4, name: 'nonce', type: 'bytes', length: 24, optional: true },
  { tag: 5, name: 'box', type: 'varbytes', max: 512 },
])
/** Record kind 8. */
const KEYFILE = defineRecord({ schema: fileSchema, kind: 8, version: 1, maxBytes: 1024, signed: false })

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
  const plain = encodeRecordBody(SECRETS, { vault_key: secrets.vaultKey, kek: secrets.kek })
  let record: Uint8Array
  if (passphrase === undefined) {
    record = encodeRecordBody(KEYFILE, { kdf: 0, box: plain })
  } else {
    const salt = random(16)
    const nonce = random(24)
    const kek = _kek(passphrase, salt, SCRYPT_LOG_N)
    const box = xchachaSeal(kek, nonce, plain, Uint8Array.of(1))
    kek.fill(0)
    record = encodeRecordBody(KEYFILE, { kdf: 1, salt, log_n: SCRYPT_LOG_N, nonce, box })
  }
  plain.fill(0)
  return record
}

export async function readKeyFile(path: string, dir: string, passphrase?: string): Promise<VaultSecrets> {
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
  const f = decodeRecord(KEYFILE, bytes).fields
  let plain = f['box'] as Uint8Array
  if (f['kdf'] === 1) {
    if (passphrase === undefined) throw new PassphraseError('missing')
    const kek = _kek(passphrase, f['salt'] as Uint8Array, f['log_n'] as number)
    try {
      plain = xchachaOpen(kek, f['nonce'] as Uint8Array, plain, Uint8Array.of(1), 'vault key file')
    } catch (err) {
      if (err instanceof DecryptionFailedError) throw new PassphraseError('wrong')
      throw err
    } finally {
      kek.fill(0)
    }
  }
  const s = decodeRecord(SECRETS, plain).fields
  return {
    vaultKey: Uint8Array.from(s['vault_key'] as Uint8Array),
    kek: Uint8Array.from(s['kek'] as Uint8Array),
  }
}
