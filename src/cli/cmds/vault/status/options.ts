import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface StatusArgs extends VaultArgs {
  readonly offline: boolean
}

export const statusCommand = {
  command: 'status',
  describe: 'How safe the vault is, guardian by guardian',
  options: {
    ...vaultOptions,
    offline: { type: 'boolean', default: false, describe: 'do not ask the guardians' },
  } satisfies CliOptions<StatusArgs>,
}
