import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface UpdateGuardianArgs extends VaultArgs {
  readonly peerId: string
  readonly addr: readonly string[]
}

export const updateGuardianCommand = {
  command: 'update-guardian <peer-id> <addr..>',
  describe: 'Say where a guardian is now (its friend told you); a newer signed address record still wins',
  options: {
    ...vaultOptions,
    peerId: { type: 'string', positional: true, demandOption: true, describe: "the guardian's peer ID" },
    addr: {
      type: 'string',
      array: true,
      positional: true,
      demandOption: true,
      describe: 'multiaddrs, e.g. /dns4/bob.example/tcp/4646',
    },
  } satisfies CliOptions<UpdateGuardianArgs>,
}
