import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface HealArgs extends VaultArgs {
  readonly timeout: string
}

export const healCommand = {
  command: 'heal',
  describe:
    "After another copy of this node ran: make this node's chain the vault's at every guardian (new epoch, new data key), then back up",
  options: {
    ...vaultOptions,
    timeout: durationOption('push', 'give up waiting for receipts after this'),
  } satisfies CliOptions<HealArgs>,
}
