/**
 * `kith cln install-plugin`: make this vault follow a CLN node's live database. A writer key is made and
 * certified once by the vault key, a journal key drawn, both kept (0600) for the plugin with its
 * configuration; the database becomes the vault's `cln-db` source; the first snapshot is taken and
 * committed, and the journal starts from its mark; one executable `kith-cln` (0700) is written where
 * lightningd loads plugins. No secret goes on a command line: the plugin reads its own files. The
 * passphrase (if the vault key is sealed) is used here and never stored: the plugin never needs it.
 */
import { randomBytes } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { requireCommitted, runBackup } from '../coordinator/backup.js'
import { journalLogPath, vaultPaths } from '../coordinator/paths.js'
import { clnDataVersion } from '../coordinator/snapshot.js'
import { addSource, removeSource } from '../coordinator/sources.js'
import type { Vault } from '../coordinator/vault.js'
import { ed25519PublicKey } from '../crypto/ed25519.js'
import { ensurePrivateDir, writeFileAtomic } from '../disk/atomic.js'
import { Database } from '../disk/sqlite-driver.js'
import { signWriterCertificate } from '../journal/entry.js'
import { LocalLog } from '../journal/local-log.js'
import { InvalidSourceError } from '../replica/errors.js'
import { openManifest } from '../replica/manifest.js'
import { CLN_JOURNAL, pluginPaths, type WriterSecrets, writePluginFiles } from './config.js'
import { type PluginRuntime, pluginScript } from './installed.js'
import { isAutoloadedPluginDir, pluginConfigLine, refusePostgresWallet } from './lightningd-config.js'

export interface InstallOptions {
  readonly db: string
  readonly pluginDir: string
  readonly holdMs: number
  readonly alertWebhook?: string
  readonly alertCommand?: string
  /** The Node and the installed kith the plugin runs (installed.ts findPluginRuntime). */
  readonly runtime: PluginRuntime
}

export interface InstallReport {
  readonly plugin: string
  readonly version: number
  readonly position: number
  /** Where lightningd's config is, and the line that loads the plugin as important. */
  readonly config: { readonly file: string; readonly line: string }
  /** The plugin sits in lightningd's auto-loaded plugins folder: loaded, but not as important. */
  readonly autoloaded: boolean
  /** What the executable runs: the Node and the kith it names. */
  readonly runsFrom: PluginRuntime
}

/**
 * A new writer for a journal of this vault: its Ed25519 seed, a fresh journal key, and its certificate
 * signed by the vault key (kith-cln's and the signer store's alike).
 */
export function certifyNewWriter(vault: Vault, journal: string): WriterSecrets {
  const writerSeed = new Uint8Array(randomBytes(32))
  const journalKey = new Uint8Array(randomBytes(32))
  const certificate = signWriterCertificate(
    { vaultId: vault.vaultId, journal, writerKey: ed25519PublicKey(writerSeed), createdAt: vault.now() },
    vault.signingKey(),
  )
  return { writerSeed, journalKey, certificate: certificate.bytes }
}

export async function installPlugin(vault: Vault, o: InstallOptions): Promise<InstallReport> {
  const db = resolve(o.db)
  // a PostgreSQL wallet gives the hook nothing to replicate: refused before anything is made
  await refusePostgresWallet(db)
  try {
    const probe = new Database(db, { readonly: true, fileMustExist: true })
    try {
      clnDataVersion(probe)
    } finally {
      probe.close()
    }
  } catch {
    throw new InvalidSourceError(CLN_JOURNAL, `${db} is not a CLN database (no vars table)`)
  }
  const { writerSeed, journalKey, certificate } = certifyNewWriter(vault, CLN_JOURNAL)
  await ensurePrivateDir(vaultPaths(vault.dir).journals)
  const config = {
    version: 1 as const,
    vaultDir: resolve(vault.dir),
    stream: CLN_JOURNAL,
    db,
    holdMs: o.holdMs,
    ...(o.alertWebhook ? { alertWebhook: o.alertWebhook } : {}),
    ...(o.alertCommand ? { alertCommand: o.alertCommand } : {}),
  }
  await writePluginFiles(config, { writerSeed, journalKey, certificate })
  vault.putJournal({
    name: CLN_JOURNAL,
    key: journalKey,
    certificate,
    source: CLN_JOURNAL,
  })
  // the database named now (a recovered node's may live elsewhere than before)
  const known = vault.db.sources().find((s) => s.name === CLN_JOURNAL)
  if (known !== undefined && (known.path !== db || known.kind !== 'cln-db')) removeSource(vault, CLN_JOURNAL)
  if (known === undefined || known.path !== db || known.kind !== 'cln-db')
    await addSource(vault, 'cln-db', db, CLN_JOURNAL)
  // a fresh writer log; the journal starts from the first snapshot's mark
  const log = LocalLog.open(journalLogPath(vault.dir, CLN_JOURNAL))
  try {
    log.reset()
    requireCommitted(await runBackup(vault))
    const newest = vault.db.newestCommitted()!
    const mark = openManifest(newest.manifest).marks?.find((m) => m.journal === CLN_JOURNAL)
    if (mark === undefined)
      throw new InvalidSourceError(CLN_JOURNAL, 'the first snapshot names no journal position')
    log.setBase({ position: mark.position, hash: mark.hash })
    const plugin = join(resolve(o.pluginDir), 'kith-cln')
    await ensurePrivateDir(dirname(plugin))
    // replaced whole (temp file, rename): a reinstall repoints it at once, never half
    await writeFileAtomic(plugin, pluginScript(o.runtime, db, pluginPaths(config.vaultDir).config), {
      mode: 0o700,
    })
    return {
      plugin,
      version: newest.version,
      position: mark.position,
      config: pluginConfigLine(db, plugin),
      autoloaded: isAutoloadedPluginDir(db, resolve(o.pluginDir)),
      runsFrom: o.runtime,
    }
  } finally {
    log.close()
  }
}
