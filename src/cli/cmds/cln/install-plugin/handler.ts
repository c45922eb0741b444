/** `kith cln install-plugin`: the db_write plugin for a CLN node, its first snapshot, and where it lives. */
import { installPlugin } from '../../../../cln/install.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { withVault } from '../../vault/open.js'
import type { InstallPluginArgs } from './options.js'

export async function installPluginHandler(a: InstallPluginArgs): Promise<void> {
  // the plugin reads the passphrase again whenever it must take a new snapshot: it needs a file
  if (a.passphraseFile === '-')
    throw new UsageError(
      'give --passphrase-file a file, not -: the plugin reads it again for later snapshots',
    )
  const r = await withVault(a, (vault) =>
    installPlugin(vault, {
      db: a.db,
      pluginDir: a.pluginDir,
      holdMs: parseDuration(a.hold),
      ...(a.passphraseFile && a.passphraseFile !== '-' ? { passphraseFile: a.passphraseFile } : {}),
      ...(a.alertWebhook ? { alertWebhook: a.alertWebhook } : {}),
      ...(a.alertCommand ? { alertCommand: a.alertCommand } : {}),
    }),
  )
  if (a.json) return sayJson(r)
  say(`Installed ${r.plugin}.`)
  say(
    `The first snapshot is version ${r.version}, at transaction ${r.position}; every later one is replicated.`,
  )
  say('Restart lightningd to load it (or: lightning-cli plugin start <path>). From then on lightningd')
  say('commits a transaction only once your write quorum of guardians holds it.')
}
