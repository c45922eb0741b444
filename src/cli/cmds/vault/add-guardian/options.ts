import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface AddGuardianArgs extends VaultArgs {
  readonly invite?: readonly string[]
  readonly inviteFile?: string
}

export const addGuardianCommand = {
  command: 'add-guardian [invite..]',
  describe: 'Add guardians by their invites (kinvite1…), best from a file or standard input',
  options: {
    ...vaultOptions,
    invite: {
      type: 'string',
      array: true,
      positional: true,
      describe: 'kinvite1… tokens (secrets: on the command line they show in ps and shell history)',
    },
    inviteFile: {
      type: 'string',
      describe: "file of kinvite1… tokens, one per line ('-': standard input)",
    },
  } satisfies CliOptions<AddGuardianArgs>,
}
