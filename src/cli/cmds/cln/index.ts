/** `kith cln …`: a Core Lightning node's live database, replicated transaction by transaction. */
import { commandGroup, lazyCommand } from '../../command.js'
import { type InstallPluginArgs, installPluginCommand } from './install-plugin/options.js'

export const clnCommand = commandGroup('cln <command>', "Replicate a CLN node's live database to guardians", [
  lazyCommand<InstallPluginArgs>(
    installPluginCommand,
    async () => (await import('./install-plugin/handler.js')).installPluginHandler,
  ),
])
