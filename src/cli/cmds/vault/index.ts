/**
 * `kith vault …`: the operator's vault: create, guardians, sources, backup, status, recovery aids.
 * Each handler is loaded only when its command runs.
 */
import { commandGroup, lazyCommand } from '../../command.js'
import { type AddGuardianArgs, addGuardianCommand } from './add-guardian/options.js'
import { type AddSourceArgs, addSourceCommand } from './add-source/options.js'
import { type BackupArgs, backupCommand } from './backup/options.js'
import { type DrillArgs, drillCommand } from './drill/options.js'
import { type HealArgs, healCommand } from './heal/options.js'
import { type InitArgs, initCommand } from './init/options.js'
import { type KitArgs, kitCommand } from './kit/options.js'
import { type PaperShareArgs, paperShareCommand } from './paper-share/options.js'
import { type RemoveGuardianArgs, removeGuardianCommand } from './remove-guardian/options.js'
import { type SourcesArgs, sourcesCommand } from './sources/options.js'
import { type StatusArgs, statusCommand } from './status/options.js'
import { type UpdateGuardianArgs, updateGuardianCommand } from './update-guardian/options.js'
import { type VetoArgs, vetoCommand } from './veto/options.js'
import { type WatchArgs, watchCommand } from './watch/options.js'

export const vaultCommand = commandGroup('vault <command>', "Back up this node's files to guardians", [
  lazyCommand<InitArgs>(initCommand, async () => (await import('./init/handler.js')).initHandler),
  lazyCommand<AddGuardianArgs>(
    addGuardianCommand,
    async () => (await import('./add-guardian/handler.js')).addGuardianHandler,
  ),
  lazyCommand<RemoveGuardianArgs>(
    removeGuardianCommand,
    async () => (await import('./remove-guardian/handler.js')).removeGuardianHandler,
  ),
  lazyCommand<UpdateGuardianArgs>(
    updateGuardianCommand,
    async () => (await import('./update-guardian/handler.js')).updateGuardianHandler,
  ),
  lazyCommand<AddSourceArgs>(
    addSourceCommand,
    async () => (await import('./add-source/handler.js')).addSourceHandler,
  ),
  lazyCommand<SourcesArgs>(sourcesCommand, async () => (await import('./sources/handler.js')).sourcesHandler),
  lazyCommand<BackupArgs>(backupCommand, async () => (await import('./backup/handler.js')).backupHandler),
  lazyCommand<WatchArgs>(watchCommand, async () => (await import('./watch/handler.js')).watchHandler),
  lazyCommand<StatusArgs>(statusCommand, async () => (await import('./status/handler.js')).statusHandler),
  lazyCommand<KitArgs>(kitCommand, async () => (await import('./kit/handler.js')).kitHandler),
  lazyCommand<DrillArgs>(drillCommand, async () => (await import('./drill/handler.js')).drillHandler),
  lazyCommand<VetoArgs>(vetoCommand, async () => (await import('./veto/handler.js')).vetoHandler),
  lazyCommand<HealArgs>(healCommand, async () => (await import('./heal/handler.js')).healHandler),
  lazyCommand<PaperShareArgs>(
    paperShareCommand,
    async () => (await import('./paper-share/handler.js')).paperShareHandler,
  ),
])
