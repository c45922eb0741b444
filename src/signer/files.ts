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
import { writeFileAtomic } from '../disk/atomic.js'
import { isMissingFile } from '../disk/config-file.js'

/** The signer store's journal, and its source's name. */
export const SIGNER_JOURNAL = 'signer'

/** What a sealed server key's AAD names. */
const SERVER_KEY_PURPOSE = 'lss-server-key'

export const signerPaths = (vaultDir: string) => ({
  writer: join(vaultPaths(vaultDir).journals, `${SIGNER_JOURNAL}.key`),
  serverKey: join(vaultPaths(vaultDir).journals, 'signer-server.key'),
  log: join(vaultPaths(vaultDir).journals, 'signer.log'),
  /** Where the store lives unless `--store` says otherwise. */
  defaultStore: join(vaultDir, 'signer-store.sqlite3'),
})

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const bytes = (h: unknown): Uint8Array => {
  if (typeof h !== 'string' || !/^([0-9a-f]{2})+$/.test(h)) throw new TypeError('not hex')
  return new Uint8Array(Buffer.from(h, 'hex'))
}

export async function writeSignerWriter(vaultDir: string, s: WriterSecrets): Promise<void> {
  await writeFileAtomic(
    signerPaths(vaultDir).writer,
    `${JSON.stringify({ version: 1, writerSeed: hex(s.writerSeed), streamKey: hex(s.journalKey), certificate: hex(s.certificate) })}\n`,
  )
}

/** The writer's secrets; undefined when there are none (not set up, or a file that does not read). */
export async function readSignerWriter(vaultDir: string): Promise<WriterSecrets | undefined> {
  try {
    const s = JSON.parse(await readFile(signerPaths(vaultDir).writer, 'utf8')) as Record<string, unknown>
    if (s.version !== 1) return undefined
    return {
      writerSeed: bytes(s.writerSeed),
      journalKey: bytes(s.streamKey),
      certificate: bytes(s.certificate),
    }
  } catch {
    return undefined
  }
}

/** The server's secret key: the one sealed here, or a new one sealed now. */
export async function serverKey(vault: Vault, make: () => Uint8Array): Promise<Uint8Array> {
  const path = signerPaths(vault.dir).serverKey
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (!isMissingFile(err)) throw err
  }
  if (text !== undefined) {
    const s = JSON.parse(text) as Record<string, unknown>
    return vault.openSecret(SERVER_KEY_PURPOSE, { nonce: bytes(s.nonce), sealed: bytes(s.sealed) })
  }
  const key = make()
  const sealed = vault.sealSecret(SERVER_KEY_PURPOSE, key)
  await writeFileAtomic(
    path,
    `${JSON.stringify({ version: 1, nonce: hex(sealed.nonce), sealed: hex(sealed.sealed) })}\n`,
  )
  return key
}
