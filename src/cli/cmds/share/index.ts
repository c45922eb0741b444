/** `kith share …`: paper shares. */
import { commandGroup, toYargs } from '../../command.js'
import { inspectHandler } from './inspect/handler.js'
import { inspectCommand } from './inspect/options.js'

export const shareCommand = commandGroup('share <command>', 'Check a paper share backup', [
  toYargs({ ...inspectCommand, handler: inspectHandler }),
])
