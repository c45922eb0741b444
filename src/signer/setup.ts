import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import * as secp from '@noble/secp256k1'
import type { WriterSecrets } from '../cln/config.js'
import { certifyNewWriter } from '../cln/install.js'
import { requireCommitted, runBackup } from '../coordinator/backup.js'
import { journalLogPath } from '../coordinator/paths.js'
import { addSource, removeSource } from '../coordinator/sources.js'
import type { Vault } from '../coordinator/vault.js'
import { equalBytes } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { LocalLog } from '../journal/local-log.js'
import { countSignerStore, SignerStore } from '../lss/store.js'
import { InvalidSourceError } from '../replica/errors.js'
import { openManifest } from '../replica/manifest.js'
import { readSignerWriter, SIGNER_JOURNAL, serverKey, signerPaths, writeSignerWriter } from './files.js'

export interface SignerSetup {
  readonly store: string
  readonly secrets: WriterSecrets
  readonly serverSecretKey: Uint8Array
  /** The snapshot this start took and committed (a first start, or a store named anew). */
  readonly snapshot?: { readonly version: number; readonly position: number }
}

/** The vault follows a signer store elsewhere, which is still there: another would orphan it. */
export class SignerStoreElsewhereError extends KithError {
  readonly code = 'SIGNER_STORE_ELSEWHERE'
  constructor(
    readonly current: string,
    readonly asked: string,
  ) {
    super(
      `this vault's signer store is ${current}; to serve ${asked} instead (its writes start again from it), add --replace-store`,
      { current, asked },
    )
  }
}

/** The store a start serves: the one asked for, else the one the vault follows, else the default. */
export function storeToServe(vault: Vault, asked: string | undefined): string {
  if (asked !== undefined) return resolve(asked)
  return (
    vault.db.sources().find((s) => s.name === SIGNER_JOURNAL)?.path ?? signerPaths(vault.dir).defaultStore
  )
}

/** Whether the vault already follows this store with this writer, from its newest committed mark. */
function _inPlace(vault: Vault, store: string, secrets: WriterSecrets | undefined): boolean {
  if (secrets === undefined) return false
  const source = vault.db.sources().find((s) => s.name === SIGNER_JOURNAL)
  const journal = vault.db.journals.all().find((j) => j.name === SIGNER_JOURNAL)
  if (source?.path !== store || source.kind !== 'signer-store' || journal === undefined) return false
  if (!equalBytes(journal.certificate, secrets.certificate)) return false
  const newest = vault.db.newestCommitted()
  const mark = newest && openManifest(newest.manifest).marks?.find((m) => m.journal === SIGNER_JOURNAL)
  if (mark === undefined) return false
  const log = LocalLog.open(journalLogPath(vault.dir, SIGNER_JOURNAL))
  try {
    // the log starts from a committed mark (a start that died before setting it left none)
    const base = log.base()
    return base !== undefined && base.position <= mark.position
  } finally {
    log.close()
  }
}

export async function setUpSigner(
  vault: Vault,
  storePath: string,
  options: { replace?: boolean } = {},
): Promise<SignerSetup> {
  const store = resolve(storePath)
  // a file that is there must already be a signer store: never add kith's tables to another database
  if (existsSync(store)) {
    try {
      countSignerStore(store)
    } catch {
      throw new InvalidSourceError(SIGNER_JOURNAL, `${store} is not a kith signer store`)
    }
  }
  const sources = vault.db.sources()
  const other = sources.find((s) => s.path === store && s.name !== SIGNER_JOURNAL)
  if (other !== undefined)
    throw new InvalidSourceError(SIGNER_JOURNAL, `${store} is already backed up, as source ${other.name}`)
  const current = sources.find((s) => s.name === SIGNER_JOURNAL)
  // a store still there would be orphaned: only on the operator's word (after a recovery it is gone)
  if (current !== undefined && current.path !== store && existsSync(current.path) && !options.replace)
    throw new SignerStoreElsewhereError(current.path, store)

  SignerStore.open(store).close()
  const serverSecretKey = await serverKey(vault, () => secp.utils.randomSecretKey())
  const known = await readSignerWriter(vault.dir)
  if (_inPlace(vault, store, known)) return { store, secrets: known!, serverSecretKey }

  const log = LocalLog.open(journalLogPath(vault.dir, SIGNER_JOURNAL))
  try {
    // first: until the new base is set, no start takes this for set up
    log.reset()
    const secrets = certifyNewWriter(vault, SIGNER_JOURNAL)
    await writeSignerWriter(vault.dir, secrets)
    vault.putJournal({
      name: SIGNER_JOURNAL,
      key: secrets.journalKey,
      certificate: secrets.certificate,
      source: SIGNER_JOURNAL,
    })
    if (current !== undefined && (current.path !== store || current.kind !== 'signer-store'))
      removeSource(vault, SIGNER_JOURNAL)
    if (current === undefined || current.path !== store || current.kind !== 'signer-store')
      await addSource(vault, 'signer-store', store, SIGNER_JOURNAL)
    requireCommitted(await runBackup(vault))
    const newest = vault.db.newestCommitted()!
    const mark = openManifest(newest.manifest).marks?.find((m) => m.journal === SIGNER_JOURNAL)
    if (mark === undefined)
      throw new InvalidSourceError(SIGNER_JOURNAL, 'the first snapshot names no journal position')
    log.setBase({ position: mark.position, hash: mark.hash })
    return { store, secrets, serverSecretKey, snapshot: { version: newest.version, position: mark.position } }
  } finally {
    log.close()
  }
}
