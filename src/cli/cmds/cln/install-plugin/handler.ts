/** `kith cln install-plugin`: the db_write plugin for a CLN node, its first snapshot, and where it lives. */
import { refreshPluginConfig } from '../../../../cln/config.js'
import { installPlugin } from '../../../../cln/install.js'
import { findPluginRuntime, type PluginRuntime } from '../../../../cln/installed.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { checkFolderOption, checkInputFileOption } from '../../../paths.js'
import { withVault } from '../../vault/open.js'
import type { InstallPluginArgs } from './options.js'

export async function installPluginHandler(a: InstallPluginArgs): Promise<void> {
  if (a.refresh) {
    // the plugin's settings written again without what it no longer reads; no key, no new writer
    const r = await refreshPluginConfig(a.dataDir)
    if (a.json) return sayJson(r)
    return say(
      r.dropped
        ? 'cln-plugin.json no longer names a passphrase file. Delete that file from this disk if nothing else needs it.'
        : 'cln-plugin.json names nothing this kith ignores; nothing to change.',
    )
  }
  // the passphrase (a file, or - for standard input) is read once, here, and never stored
  if (a.db === undefined || a.pluginDir === undefined)
    throw new UsageError('give --db and --plugin-dir (or --refresh, to rewrite the installed settings)')
  const db = a.db
  const pluginDir = a.pluginDir
  await checkInputFileOption('--db', db)
  await checkFolderOption('--plugin-dir', pluginDir)
  // the plugin runs from an installed copy of kith, never from a clone: decided before a passphrase is
  // asked or anything written
  const runtime = await findPluginRuntime({ fromClone: a.fromClone === true })
  const r = await withVault(a, (vault) =>
    installPlugin(vault, {
      db,
      pluginDir,
      holdMs: parseDuration(a.hold),
      ...(a.alertWebhook ? { alertWebhook: a.alertWebhook } : {}),
      ...(a.alertCommand ? { alertCommand: a.alertCommand } : {}),
      runtime,
    }),
  )
  if (a.json) return sayJson(r)
  say(`Installed ${r.plugin}.`)
  _sayRunsFrom(r.runsFrom)
  say(
    `The first snapshot is version ${r.version}, at transaction ${r.position}; every later one is replicated.`,
  )
  if (r.autoloaded) {
    say(
      "It sits in lightningd's plugins folder, so lightningd loads it, but not as important: if it stopped,",
    )
    say('lightningd would go on without replicating. Better: install it in another folder (--plugin-dir)')
    say(`and add to ${r.config.file}:`)
  } else say(`Add this line to ${r.config.file} (lightningd stops if the plugin ever stops):`)
  say(`  ${r.config.line}`)
  say('Then restart lightningd: the plugin is not dynamic (lightning-cli plugin start cannot load it).')
  say('From then on lightningd commits a transaction only once your write quorum of guardians holds it.')
}

/** What the executable runs, and what would stop it. */
function _sayRunsFrom(r: PluginRuntime): void {
  if (r.release !== undefined) {
    say(`It runs the release ${r.release} (Node ${r.nodeVersion} inside): ${r.main}`)
    say("If that file is removed or moved, put it back or run the new release's install-plugin.")
    return
  }
  say('It runs:')
  say(`  Node ${r.nodeVersion}  ${r.node}`)
  say(`  kith ${r.kithVersion}  ${r.main}${r.fromClone ? ' (a clone, --from-clone)' : ''}`)
  if (r.fromClone) say('Moving, removing or rebuilding that clone changes or stops the plugin.')
  say('If either is removed or moved (Node upgraded with nvm, kith installed elsewhere), install kith with')
  say("the Node lightningd should use, and run that kith's install-plugin again.")
}
