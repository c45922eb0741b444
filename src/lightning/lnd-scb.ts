/**
 * LND's channel.backup (the multi-channel static channel backup) as LND writes it (docs/format.md
 * §Lightning node files), following lightningnetwork/lnd chanbackup/multi.go (`Multi.PackToWriter`),
 * chanbackup/single.go (`Single.Serialize`), lnencrypt/crypto.go (`EncryptPayloadToWriter`) and
 * chanbackup/backupfile.go (`MultiFile.UpdateAndSwap`: the whole file replaced by rename):
 *
 *   file      = nonce (24 random bytes) || XChaCha20-Poly1305(key, nonce, plaintext, aad = nonce)
 *   plaintext = version (1 byte, 0) || numBackups (u32 BE) || Single...
 *   Single    = version (1 byte; bit 7: has a close tx) || length (u16 BE) || body (length bytes)
 *
 * No magic, no length field and no version outside the ciphertext: without the key only the nonce and
 * the lengths are known. The key is SHA-256 of the compressed public key LND derives at key family 7
 * (KeyFamilyBaseEncryption), index 0, from the node's seed (`lndBackupKey`); with it, the version and
 * the channels are read too. A file is refused (SourceMismatchError) only when LND cannot have written it.
 */
import { sha256 } from '../crypto/hash.js'
import { XCHACHA_NONCE_LENGTH, XCHACHA_TAG_LENGTH, xchachaOpen } from '../crypto/xchacha.js'
import { SourceMismatchError } from './errors.js'

/** The multi header inside the ciphertext: version (1) || numBackups (u32). */
const MULTI_HEADER = 5
/** NilMultiSizePacked in multi.go: nonce, tag and header of a backup of no channels (45 bytes). */
export const LND_MULTI_MIN_LENGTH = XCHACHA_NONCE_LENGTH + XCHACHA_TAG_LENGTH + MULTI_HEADER
/**
 * The smallest Single `Serialize` writes (371 bytes): version (1) and length (2), then a body of at least
 * 368: IsInitiator 1, ChainHash 32, FundingOutpoint 34 (hash, u16 index), ShortChannelID 8,
 * RemoteNodePub 33, Addresses 2 (u16 byte length, none), Capacity 8, local CsvDelay 2, five local key
 * locators 40 (u32 family, u32 index), remote CsvDelay 2, five remote public keys 165, the shachain root
 * public key 33 and its key locator 8. Later versions only add to it (lease expiry, close tx inputs).
 */
export const LND_SINGLE_MIN_LENGTH = 3 + 368
/** The only multi version LND writes or reads (DefaultMultiVersion). */
const MULTI_VERSION = 0
/** How much of the start is looked at for text. */
const TEXT_PROBE = 256
const SQLITE_MAGIC = new TextEncoder().encode('SQLite format 3\0')

const WHAT = 'an LND channel.backup (multi-channel backup)'

export interface LndMultiBackup {
  /** The multi's version: the first plaintext byte, so known only with the key (0 is the only one). */
  readonly version?: number
  /** How many channels it backs up: known without the key only for a backup of none (45 bytes). */
  readonly channels?: number
  /** The most channels the plaintext's length leaves room for (each Single is at least 371 bytes). */
  readonly maxChannels: number
  /** The 24-byte XChaCha20-Poly1305 nonce (LND's is random; it is also the associated data). */
  readonly nonce: Uint8Array
  /** The bytes after the nonce: the ciphertext and its 16-byte tag. */
  readonly ciphertextLength: number
  /** The plaintext's length (the ciphertext's less the tag): 5 + the channels' Singles. */
  readonly plaintextLength: number
}

/** LND's backup key from its base encryption public key (33 bytes, compressed): lnencrypt `KeyRingEncrypter`. */
export function lndBackupKey(basePublicKey: Uint8Array): Uint8Array {
  if (basePublicKey.length !== 33 || (basePublicKey[0] !== 2 && basePublicKey[0] !== 3))
    throw new TypeError('an LND base encryption key is a 33-byte compressed public key')
  return sha256(basePublicKey)
}

/** Printable ASCII and the whitespace of text files. */
const _isTextByte = (b: number): boolean => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d

/**
 * Read an LND channel.backup's framing, and with `key` (32 bytes, `lndBackupKey`) its version and
 * channels. Refuses (SourceMismatchError) what LND cannot have written: fewer than 45 bytes, a length
 * between one of no channels and one of a single channel, text (all of the first 256 bytes printable:
 * for LND's random nonce and ciphertext, at most (98/256)^45 < 10^-18), a nonce of one repeated byte
 * (a blanked file), a SQLite database; with the key, a plaintext whose Singles do not fill it as they
 * say. A wrong key or altered bytes throw DecryptionFailedError.
 */
export function parseLndMultiBackup(
  bytes: Uint8Array,
  options: { readonly key?: Uint8Array; readonly source?: string } = {},
): LndMultiBackup {
  const source = options.source ?? 'the file'
  const refuse = (reason: string): never => {
    throw new SourceMismatchError(source, reason, WHAT)
  }
  if (bytes.length === 0) refuse('it is empty')
  if (bytes.length < LND_MULTI_MIN_LENGTH)
    refuse(`it is ${bytes.length} bytes; LND writes at least ${LND_MULTI_MIN_LENGTH}`)
  if (bytes.subarray(0, TEXT_PROBE).every(_isTextByte))
    refuse('it is text; LND writes a nonce and ciphertext')
  if (SQLITE_MAGIC.every((b, i) => bytes[i] === b)) refuse('it is a SQLite database')
  const nonce = bytes.slice(0, XCHACHA_NONCE_LENGTH)
  if (nonce.every((b) => b === nonce[0])) refuse('its nonce is one repeated byte; LND draws it at random')
  const ciphertextLength = bytes.length - XCHACHA_NONCE_LENGTH
  const plaintextLength = ciphertextLength - XCHACHA_TAG_LENGTH
  const room = plaintextLength - MULTI_HEADER
  if (room > 0 && room < LND_SINGLE_MIN_LENGTH)
    refuse(
      `it is ${bytes.length} bytes: more than a backup of no channels (${LND_MULTI_MIN_LENGTH}), less than one of a channel (${LND_MULTI_MIN_LENGTH + LND_SINGLE_MIN_LENGTH})`,
    )
  const framing = {
    nonce,
    ciphertextLength,
    plaintextLength,
    maxChannels: Math.floor(room / LND_SINGLE_MIN_LENGTH),
  }
  if (options.key === undefined) return room === 0 ? { ...framing, channels: 0 } : framing
  const plaintext = xchachaOpen(
    options.key,
    nonce,
    bytes.subarray(XCHACHA_NONCE_LENGTH),
    nonce,
    'LND channel.backup',
  )
  try {
    const version = plaintext[0]!
    // a version LND does not know yet: its layout is not this one
    if (version !== MULTI_VERSION) return { ...framing, version }
    return { ...framing, version, channels: _countSingles(plaintext, refuse) }
  } finally {
    plaintext.fill(0)
  }
}

/** Walk the Singles by their lengths (multi.go `UnpackFromReader` reads numBackups of them). */
function _countSingles(plaintext: Uint8Array, refuse: (reason: string) => never): number {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
  const count = view.getUint32(1)
  let at = MULTI_HEADER
  for (let i = 0; i < count; i++) {
    if (at + 3 > plaintext.length) refuse(`it names ${count} channels and ends after ${i}`)
    const length = view.getUint16(at + 1)
    if (3 + length < LND_SINGLE_MIN_LENGTH)
      refuse(`channel ${i + 1} is ${3 + length} bytes; LND writes at least ${LND_SINGLE_MIN_LENGTH}`)
    at += 3 + length
    if (at > plaintext.length) refuse(`it names ${count} channels and ends inside channel ${i + 1}`)
  }
  // LND reads numBackups Singles and ignores what follows; so does this
  return count
}
