import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface VetoArgs extends VaultArgs {
  readonly request: string
}

export const vetoCommand = {
  command: 'veto <request>',
  describe: 'Stop a recovery request that is not yours (signed by the vault key)',
  options: {
    ...vaultOptions,
    request: {
      type: 'string',
      positional: true,
      demandOption: true,
      describe: 'the request id status shows, or its first 4 or more digits',
    },
  } satisfies CliOptions<VetoArgs>,
}
