import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface AddGuardianArgs extends VaultArgs {
  readonly invite: readonly string[]
}

export const addGuardianCommand = {
  command: 'add-guardian <invite..>',
  describe: 'Add guardians by their invites (kinvite1…)',
  options: {
    ...vaultOptions,
    invite: {
      type: 'string',
      array: true,
      positional: true,
      demandOption: true,
      describe: 'kinvite1… tokens',
    },
  } satisfies CliOptions<AddGuardianArgs>,
}
