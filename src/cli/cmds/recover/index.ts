/** `kith recover`: one command, not a group. */
import { lazyCommand } from '../../command.js'
import { type RecoverArgs, recoverCommand as recover } from './options.js'

export const recoverCommand = lazyCommand<RecoverArgs>(
  recover,
  async () => (await import('./handler.js')).recoverHandler,
)
