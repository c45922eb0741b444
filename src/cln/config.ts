/**
 * The plugin's own files (docs/format.md §CLN plugin files), in the vault's `streams/` directory: the
 * plugin finds everything from them, never from lightningd's options or RPC (the hook can come before
 * `init`), and no secret is ever on a command line.
 * - `cln-plugin.json` (0600): the vault directory, the journal, the database, the hold time, the alert
 *   targets; never a passphrase or its path (an older plugin's `passphraseFile` is read and ignored);
 * - `cln-db.key` (0600): the writer's Ed25519 seed, the journal key and the writer certificate.
 * The directory and the files' keys `stream` and `streamKey` keep the journal's historical name.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { vaultPaths } from '../coordinator/paths.js'
import { tightenSecretFile, writeFileAtomic } from '../disk/atomic.js'
import { ConfigObject, isMissingFile, parseConfig } from '../disk/config-file.js'
import { KithError } from '../errors.js'

export const CLN_JOURNAL = 'cln-db'

export interface PluginConfig {
  readonly version: 1
  readonly vaultDir: string
  /** The journal's name (the file's key keeps its historical name). */
  readonly stream: string
  /** lightningd.sqlite3, for snapshots after a gap. */
  readonly db: string
  /** How long lightningd is kept waiting for W guardians before the plugin refuses (ms). */
  readonly holdMs: number
  readonly alertWebhook?: string
  readonly alertCommand?: string
}

export interface WriterSecrets {
  readonly writerSeed: Uint8Array
  readonly journalKey: Uint8Array
  readonly certificate: Uint8Array
}

export const pluginPaths = (vaultDir: string) => ({
  config: join(vaultPaths(vaultDir).journals, 'cln-plugin.json'),
  secrets: join(vaultPaths(vaultDir).journals, `${CLN_JOURNAL}.key`),
  log: join(vaultPaths(vaultDir).journals, 'cln-plugin.log'),
  /** The plugin's metrics in Prometheus text, rewritten every 10 s (docs/operator.md §Metrics). */
  metrics: join(vaultPaths(vaultDir).journals, 'cln-plugin.prom'),
})

/** The plugin's files are missing or unreadable: it was not installed (or not completely). */
export class PluginNotInstalledError extends KithError {
  readonly code = 'PLUGIN_NOT_INSTALLED'
  constructor(path: string) {
    super(`the kith-cln plugin's file ${path} is missing or damaged; run 'kith cln install-plugin' again`, {
      path,
    })
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const bytes = (h: unknown) => {
  if (typeof h !== 'string' || !/^([0-9a-f]{2})+$/.test(h)) throw new TypeError('not hex')
  return new Uint8Array(Buffer.from(h, 'hex'))
}

export async function writePluginFiles(config: PluginConfig, secrets: WriterSecrets): Promise<void> {
  const p = pluginPaths(config.vaultDir)
  await writeFileAtomic(p.config, `${JSON.stringify(config, null, 2)}\n`)
  await writeFileAtomic(
    p.secrets,
    `${JSON.stringify({ version: 1, writerSeed: hex(secrets.writerSeed), streamKey: hex(secrets.journalKey), certificate: hex(secrets.certificate) })}\n`,
  )
}

/** The plugin's config (readPluginConfigFile), without what it ignored. */
export async function readPluginConfig(path: string): Promise<PluginConfig> {
  return (await readPluginConfigFile(path)).config
}

/**
 * The plugin's config: missing, the plugin was not installed (PLUGIN_NOT_INSTALLED); not JSON, or a field
 * unknown, missing or of the wrong type (a hand edit gone wrong): CONFIG_INVALID, naming it. An older
 * plugin's `passphraseFile` is accepted, so an upgraded plugin starts, and never used
 * (`passphraseFileIgnored` says it was there).
 */
export async function readPluginConfigFile(
  path: string,
): Promise<{ config: PluginConfig; passphraseFileIgnored: boolean }> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    if (isMissingFile(err)) throw new PluginNotInstalledError(path)
    throw err
  })
  const c = new ConfigObject(path, parseConfig(path, text))
  if (c.need('version', c.number('version')) !== 1)
    throw c.invalid('version', 'must be 1 (the only version this kith reads)')
  const config = {
    version: 1 as const,
    vaultDir: c.need('vaultDir', c.string('vaultDir')),
    stream: c.need('stream', c.string('stream')),
    db: c.need('db', c.string('db')),
    holdMs: c.need('holdMs', c.number('holdMs')),
  }
  // read (a wrong type is still a broken file) so that done() takes it, then dropped: never used
  const passphraseFile = c.string('passphraseFile')
  const alertWebhook = c.string('alertWebhook')
  const alertCommand = c.string('alertCommand')
  c.done()
  return {
    config: {
      ...config,
      ...(alertWebhook !== undefined ? { alertWebhook } : {}),
      ...(alertCommand !== undefined ? { alertCommand } : {}),
    },
    passphraseFileIgnored: passphraseFile !== undefined,
  }
}

/**
 * `kith cln install-plugin --refresh`: write cln-plugin.json again from itself, without what this kith
 * ignores (an older plugin's passphrase file). No key is needed: no writer is made, no snapshot taken.
 * Whether it dropped anything.
 */
export async function refreshPluginConfig(vaultDir: string): Promise<{ dropped: boolean }> {
  const path = pluginPaths(vaultDir).config
  const { config, passphraseFileIgnored } = await readPluginConfigFile(path)
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`)
  return { dropped: passphraseFileIgnored }
}

export async function readWriterSecrets(vaultDir: string): Promise<WriterSecrets> {
  const path = pluginPaths(vaultDir).secrets
  try {
    await tightenSecretFile(path)
    const s = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    return {
      writerSeed: bytes(s['writerSeed']),
      journalKey: bytes(s['streamKey']),
      certificate: bytes(s['certificate']),
    }
  } catch (err) {
    if (err instanceof KithError) throw err
    throw new PluginNotInstalledError(path)
  }
}
