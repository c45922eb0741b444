import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface RemoveGuardianArgs extends VaultArgs {
  readonly peerId: string
  readonly timeout: string
}

export const removeGuardianCommand = {
  command: 'remove-guardian <peer-id>',
  describe: 'Remove a guardian: new epoch, new data key, current state re-encrypted; it deletes its copy',
  options: {
    ...vaultOptions,
    peerId: { type: 'string', positional: true, demandOption: true, describe: "the guardian's peer ID" },
    timeout: durationOption('push', 'give up waiting for receipts after this'),
  } satisfies CliOptions<RemoveGuardianArgs>,
}
