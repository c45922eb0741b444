import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../../vault/options.js'

export interface InstallPluginArgs extends VaultArgs {
  readonly db?: string
  readonly pluginDir?: string
  readonly refresh?: boolean
  readonly fromClone?: boolean
  readonly hold: string
  readonly alertWebhook?: string
  readonly alertCommand?: string
}

export const installPluginCommand = {
  command: 'install-plugin',
  describe: "Replicate every transaction of a CLN node's database to your guardians before it commits",
  options: {
    ...vaultOptions,
    db: { type: 'string', describe: 'lightningd.sqlite3 of the node (needed unless --refresh)' },
    pluginDir: {
      type: 'string',
      describe:
        'where lightningd loads plugins (e.g. ~/.lightning/plugins); kith-cln is written there (needed unless --refresh)',
    },
    refresh: {
      type: 'boolean',
      describe:
        "only rewrite the installed plugin's settings without what this kith ignores (an older plugin's passphrase file); needs no key",
    },
    fromClone: {
      type: 'boolean',
      describe:
        "for kith's developers: let the plugin run from this kith although it is not an installed copy (a clone's dist/); lightningd then depends on the clone",
    },
    hold: durationOption(
      'clnHold',
      'how long lightningd waits for W guardians before the plugin refuses and it stops',
    ),
    alertWebhook: { type: 'string', describe: 'POST a JSON alert here when replication falls short' },
    alertCommand: { type: 'string', describe: 'run this command (alert JSON on stdin) when it falls short' },
  } satisfies CliOptions<InstallPluginArgs>,
}
