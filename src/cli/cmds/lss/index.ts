/** `kith lss …`: a signer's state (VLS through LSS, ldk-node through VSS) kept with your guardians. */
import { commandGroup, lazyCommand } from '../../command.js'
import { type ServeArgs, serveCommand } from './serve/options.js'

export const lssCommand = commandGroup(
  'lss <command>',
  "Keep a signer's state (VLS, ldk-node) with your guardians",
  [lazyCommand<ServeArgs>(serveCommand, async () => (await import('./serve/handler.js')).serveHandler)],
)
