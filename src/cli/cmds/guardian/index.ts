/**
 * `kith guardian …`: run a guardian for friends' nodes. Each handler is loaded only when its command
 * runs, so `kith --help` and a guardian's `approve` never load the network stack they do not need.
 */
import { commandGroup, lazyCommand } from '../../command.js'
import { type ApproveArgs, approveCommand } from './approve/options.js'
import { type DenyArgs, denyCommand } from './deny/options.js'
import { type InitArgs, initCommand } from './init/options.js'
import { type InviteArgs, inviteCommand } from './invite/options.js'
import { type KeepArgs, keepCommand } from './keep/options.js'
import { type OpenArgs, openCommand } from './open/options.js'
import { type PolicyArgs, policyCommand } from './policy/options.js'
import { type RequestsArgs, requestsCommand } from './requests/options.js'
import { type SettingsArgs, settingsCommand } from './settings/options.js'
import { type StartArgs, startCommand } from './start/options.js'
import { type StatusArgs, statusCommand } from './status/options.js'

export const guardianCommand = commandGroup(
  'guardian <command>',
  "Run a guardian that keeps friends' node backups",
  [
    lazyCommand<InitArgs>(initCommand, async () => (await import('./init/handler.js')).initHandler),
    lazyCommand<StartArgs>(startCommand, async () => (await import('./start/handler.js')).startHandler),
    lazyCommand<InviteArgs>(inviteCommand, async () => (await import('./invite/handler.js')).inviteHandler),
    lazyCommand<OpenArgs>(openCommand, async () => (await import('./open/handler.js')).openHandler),
    lazyCommand<StatusArgs>(statusCommand, async () => (await import('./status/handler.js')).statusHandler),
    lazyCommand<SettingsArgs>(
      settingsCommand,
      async () => (await import('./settings/handler.js')).settingsHandler,
    ),
    lazyCommand<RequestsArgs>(
      requestsCommand,
      async () => (await import('./requests/handler.js')).requestsHandler,
    ),
    lazyCommand<ApproveArgs>(
      approveCommand,
      async () => (await import('./approve/handler.js')).approveHandler,
    ),
    lazyCommand<DenyArgs>(denyCommand, async () => (await import('./deny/handler.js')).denyHandler),
    lazyCommand<PolicyArgs>(policyCommand, async () => (await import('./policy/handler.js')).policyHandler),
    lazyCommand<KeepArgs>(keepCommand, async () => (await import('./keep/handler.js')).keepHandler),
  ],
)
