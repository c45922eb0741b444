/** `kith cln install-plugin`: the db_write plugin for a CLN node, its first snapshot, and where it lives. */
import { installPlugin } from '../../../../cln/install.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { withVault } from '../../vault/open.js'
import type { InstallPluginArgs } from './options.js'

export async function installPluginHandler(a: InstallPluginArgs): Promise<void> {
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
