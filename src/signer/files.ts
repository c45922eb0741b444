/**
 * The signer store's own files (docs/format.md §Signer store), in the vault's `streams/` directory:
 * - `signer.key` (0600): the journal's writer: `{"version":1, "writerSeed", "streamKey", "certificate"}`
 *   in hex, as kith-cln's `cln-db.key`; the serving process never needs the vault key for it;
 * - `signer-server.key` (0600): the LSS server's secp256k1 key, sealed under the vault's key-encryption
 *   key: `{"version":1, "nonce", "sealed"}` in hex. It opens only where the vault key does.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { WriterSecrets } from '../cln/config.js'
import { vaultPaths } from '../coordinator/paths.js'
import type { Vault } from '../coordinator/vault.js'
import { ensurePrivateDir, writeFileAtomic } from '../disk/atomic.js'
import { isMissingFile } from '../disk/config-file.js'
import { KithError } from '../errors.js'

/** The signer store's journal, and its source's name. */
export const SIGNER_JOURNAL = 'signer'

/** What a sealed server key's AAD names. */
const SERVER_KEY_PURPOSE = 'lss-server-key'

export const signerPaths = (vaultDir: string) => ({
  writer: join(vaultPaths(vaultDir).journals, `${SIGNER_JOURNAL}.key`),
  serverKey: join(vaultPaths(vaultDir).journals, 'signer-server.key'),
  log: join(vaultPaths(vaultDir).journals, 'signer.log'),
  /** Held by the one `kith lss serve` of this vault. */
  lock: join(vaultPaths(vaultDir).journals, 'signer.lock'),
  /** Where the store lives unless `--store` says otherwise. */
  defaultStore: join(vaultDir, 'signer-store.sqlite3'),
})

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const bytes = (h: unknown): Uint8Array => {
  if (typeof h !== 'string' || !/^([0-9a-f]{2})+$/.test(h)) throw new TypeError('not hex')
  return new Uint8Array(Buffer.from(h, 'hex'))
}

export async function writeSignerWriter(vaultDir: string, s: WriterSecrets): Promise<void> {
  await ensurePrivateDir(vaultPaths(vaultDir).journals)
  await writeFileAtomic(
    signerPaths(vaultDir).writer,
    `${JSON.stringify({ version: 1, writerSeed: hex(s.writerSeed), streamKey: hex(s.journalKey), certificate: hex(s.certificate) })}\n`,
  )
}

/** One of the signer store's own files does not read: never replaced quietly. */
export class SignerFileDamagedError extends KithError {
  readonly code = 'SIGNER_FILE_DAMAGED'
  constructor(readonly path: string) {
    super(
      `${path} is damaged; move it aside and start kith lss serve again (it makes a new one, and the writer's first snapshot)`,
      { path },
    )
  }
}

/** A file's JSON with its fields in hex, or undefined when the file is not there. */
async function _readHexFile(path: string, fields: readonly string[]): Promise<Uint8Array[] | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isMissingFile(err)) return undefined
    throw err
  }
  try {
    const s = JSON.parse(text) as Record<string, unknown>
    if (s.version !== 1) throw new TypeError('version')
    return fields.map((f) => bytes(s[f]))
  } catch {
    throw new SignerFileDamagedError(path)
  }
}

/** The writer's secrets; undefined when there are none yet. */
export async function readSignerWriter(vaultDir: string): Promise<WriterSecrets | undefined> {
  const f = await _readHexFile(signerPaths(vaultDir).writer, ['writerSeed', 'streamKey', 'certificate'])
  return f === undefined ? undefined : { writerSeed: f[0]!, journalKey: f[1]!, certificate: f[2]! }
}

/** The server's secret key: the one sealed here, or a new one sealed now. */
export async function serverKey(vault: Vault, make: () => Uint8Array): Promise<Uint8Array> {
  const path = signerPaths(vault.dir).serverKey
  const sealed = await _readHexFile(path, ['nonce', 'sealed'])
  if (sealed !== undefined) {
    try {
      return vault.openSecret(SERVER_KEY_PURPOSE, { nonce: sealed[0]!, sealed: sealed[1]! })
    } catch {
      throw new SignerFileDamagedError(path)
    }
  }
  const key = make()
  const s = vault.sealSecret(SERVER_KEY_PURPOSE, key)
  await ensurePrivateDir(vaultPaths(vault.dir).journals)
  await writeFileAtomic(
    path,
    `${JSON.stringify({ version: 1, nonce: hex(s.nonce), sealed: hex(s.sealed) })}\n`,
  )
  return key
}
