/** `kith share …`: paper shares. */
import { commandGroup, lazyCommand } from '../../command.js'
import { type InspectArgs, inspectCommand } from './inspect/options.js'

export const shareCommand = commandGroup('share <command>', 'Check a paper share backup', [
  lazyCommand<InspectArgs>(inspectCommand, async () => (await import('./inspect/handler.js')).inspectHandler),
])
