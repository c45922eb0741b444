/**
 * CLN's hsm_secret in each form lightningd has read since v25.12, and the node id hsmd derives from it
 * (docs/format.md §Lightning node files, its CLN hsm_secret part). Follows ElementsProject/lightning
 * common/hsm_secret.c (`detect_hsm_secret_type`, `extract_hsm_secret`, `get_encryption_key`,
 * `derive_seed_hash`, `decrypt_hsm_secret`), hsmd/hsmd.c (`create_hsm`, `load_hsm`),
 * tools/lightning-hsmtool.c (`generatehsm`) and hsmd/libhsmd.c (`node_key`, `hsmd_init`,
 * `handle_derive_secret`):
 *
 *   32 bytes                 plain: the secret itself
 *   73 bytes                 encrypted: secretstream(argon2id(passphrase)) of the 32-byte secret
 *   else, over 32 bytes      seed hash (32; zero: no passphrase) || BIP39 mnemonic (English, no newline)
 *
 * The secret later derivations need is hsmd's `secretstuff.bip32_seed`: the 32 bytes, or the 64-byte
 * BIP39 seed of a mnemonic. It is returned as bytes and never printed; errors say why, never what.
 */
import { createHash, hkdfSync } from 'node:crypto'
import { argon2idAsync } from '@noble/hashes/argon2.js'
import { getPublicKey, utils } from '@noble/secp256k1'
import { equalBytes } from '../crypto/bytes.js'
import { bip39MnemonicValid, bip39Seed } from './bip39.js'
import { PassphraseNeededError, SourceMismatchError, WrongHsmPassphraseError } from './errors.js'
import { secretstreamOpenFile } from './secretstream.js'

/** CLN's `enum hsm_secret_type`, less INVALID (refused instead). */
export type ClnHsmForm = 'plain' | 'encrypted' | 'mnemonic' | 'mnemonic-passphrase'

export interface ClnHsmSecret {
  readonly form: ClnHsmForm
  /** The node's public key, 33 bytes compressed: what `getinfo` calls `id`. */
  readonly nodeId: Uint8Array
  /** hsmd's root secret: 32 bytes (plain, encrypted) or the 64-byte BIP39 seed (mnemonic forms). */
  readonly secret: Uint8Array
}

export interface OpenHsmOptions {
  /** lightningd's `--hsm-passphrase` (as typed, UTF-8); undefined when none is given. */
  readonly passphrase?: string
  /** How the operator knows the file, for error messages (default `hsm_secret`). */
  readonly source?: string
}

const PLAIN_SIZE = 32
/** HS_HEADER_LEN (24) + sizeof(struct secret) (32) + ABYTES (17). */
export const CLN_ENCRYPTED_HSM_SECRET_LEN = 73
const PASSPHRASE_HASH_LEN = 32
const WHAT = 'a CLN hsm_secret'

/** `get_encryption_key`: the salt, 16 bytes, "c-lightning" padded with NULs. */
const ARGON_SALT = new TextEncoder().encode('c-lightning\0\0\0\0\0')
/** crypto_pwhash_argon2id_OPSLIMIT_MODERATE and _MEMLIMIT_MODERATE (256 MiB, here in KiB); one lane. */
export const CLN_ARGON2ID = { t: 3, m: 262_144, p: 1, version: 0x13, dkLen: 32 } as const

/** `detect_hsm_secret_type`, by length alone and the first 32 bytes (undefined: INVALID, under 32 bytes). */
export function clnHsmForm(file: Uint8Array): ClnHsmForm | undefined {
  if (file.length < PLAIN_SIZE) return undefined
  if (file.length === PLAIN_SIZE) return 'plain'
  if (file.length === CLN_ENCRYPTED_HSM_SECRET_LEN) return 'encrypted'
  return file.subarray(0, PASSPHRASE_HASH_LEN).every((b) => b === 0) ? 'mnemonic' : 'mnemonic-passphrase'
}

/** `hsm_secret_needs_passphrase`. */
export function clnHsmNeedsPassphrase(file: Uint8Array): boolean {
  const form = clnHsmForm(file)
  return form === 'encrypted' || form === 'mnemonic-passphrase'
}

/** A C string's bytes: up to the first NUL (CLN passes the passphrase with strlen). */
function _cString(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0)
  return nul < 0 ? bytes : bytes.subarray(0, nul)
}

/** `get_encryption_key`: argon2id (libsodium crypto_pwhash, ALG_ARGON2ID13, MODERATE) of the passphrase. */
export async function clnEncryptionKey(passphrase: string): Promise<Uint8Array> {
  const password = _cString(new TextEncoder().encode(passphrase))
  return argon2idAsync(password, ARGON_SALT, { ...CLN_ARGON2ID, maxmem: 2 ** 30 })
}

/**
 * hsmd's `node_key`: HKDF-SHA256(salt = u32 counter in host (little-endian) order, from 0; ikm = the
 * secret's first 32 bytes; info = "nodeid"), the counter raised until the output is a valid secp256k1
 * secret key. The same for every form: a mnemonic's 64-byte seed contributes its first 32 bytes.
 */
export function clnNodeKey(secret: Uint8Array): { privateKey: Uint8Array; nodeId: Uint8Array } {
  if (secret.length !== 32 && secret.length !== 64) throw new RangeError('hsm secret must be 32 or 64 bytes')
  const salt = new Uint8Array(4)
  const view = new DataView(salt.buffer)
  for (let counter = 0; ; counter++) {
    view.setUint32(0, counter, true)
    const privateKey = new Uint8Array(hkdfSync('sha256', secret.subarray(0, 32), salt, 'nodeid', 32))
    if (utils.isValidSecretKey(privateKey)) return { privateKey, nodeId: getPublicKey(privateKey, true) }
  }
}

/**
 * `makesecret` (hsmd `handle_derive_secret`): HKDF-SHA256(ikm = derived_secret, no salt, info), where
 * derived_secret = HKDF-SHA256(ikm = the whole secret, 32 or 64 bytes, no salt, "derived secrets").
 */
export function clnMakeSecret(secret: Uint8Array, info: string | Uint8Array): Uint8Array {
  const none = new Uint8Array(0)
  const derived = new Uint8Array(hkdfSync('sha256', secret, none, 'derived secrets', 32))
  return new Uint8Array(hkdfSync('sha256', derived, none, info, 32))
}

/** The result, with the node id hsmd would announce. */
function _opened(form: ClnHsmForm, secret: Uint8Array): ClnHsmSecret {
  return { form, nodeId: clnNodeKey(secret).nodeId, secret }
}

/**
 * `extract_hsm_secret` then `node_key`: the form, the node id and the root secret of an hsm_secret file's
 * bytes. Throws SourceMismatchError for bytes CLN refuses as an hsm_secret, PassphraseNeededError for a
 * sealed form without a passphrase, WrongHsmPassphraseError for one that does not open it (or a passphrase
 * for a mnemonic that has none, which CLN refuses too). The encrypted form costs an argon2id of 256 MiB.
 */
export async function openClnHsmSecret(
  file: Uint8Array,
  options: OpenHsmOptions = {},
): Promise<ClnHsmSecret> {
  const source = options.source ?? 'hsm_secret'
  const form = clnHsmForm(file)
  if (form === undefined)
    throw new SourceMismatchError(source, `${file.length} bytes, under the 32 of the shortest form`, WHAT)
  if (form === 'plain') return _opened(form, file.slice())
  if (form === 'encrypted') {
    if (options.passphrase === undefined) throw new PassphraseNeededError(source, form)
    const key = await clnEncryptionKey(options.passphrase)
    const secret = secretstreamOpenFile(key, file)
    key.fill(0)
    if (secret === undefined) throw new WrongHsmPassphraseError(source, 'wrong')
    return _opened(form, secret)
  }
  return _openMnemonic(file, form, source, options.passphrase)
}

/** `extract_mnemonic_secret`, the mnemonic checked first (docs/format.md §Lightning node files). */
function _openMnemonic(
  file: Uint8Array,
  form: 'mnemonic' | 'mnemonic-passphrase',
  source: string,
  passphrase: string | undefined,
): ClnHsmSecret {
  // tal_strndup: the text after the seed hash, up to a NUL
  const mnemonicBytes = _cString(file.subarray(PASSPHRASE_HASH_LEN))
  const mnemonic = new TextDecoder().decode(mnemonicBytes)
  if (!bip39MnemonicValid(mnemonic))
    throw new SourceMismatchError(
      source,
      `${file.length} bytes, neither 32 nor 73, and what follows the first 32 is not a BIP39 mnemonic`,
      WHAT,
    )
  const pass = passphrase === undefined ? undefined : _cString(new TextEncoder().encode(passphrase))
  if (form === 'mnemonic') {
    if (pass !== undefined) throw new WrongHsmPassphraseError(source, 'not-needed')
    return _opened(form, bip39Seed(mnemonicBytes))
  }
  if (pass === undefined) throw new PassphraseNeededError(source, form)
  const seed = bip39Seed(mnemonicBytes, pass)
  // derive_seed_hash: SHA-256 of the 64-byte seed, compared with the stored one
  const hash = createHash('sha256').update(seed).digest()
  if (!equalBytes(hash, file.subarray(0, PASSPHRASE_HASH_LEN))) {
    seed.fill(0)
    throw new WrongHsmPassphraseError(source, 'wrong')
  }
  return _opened(form, seed)
}
