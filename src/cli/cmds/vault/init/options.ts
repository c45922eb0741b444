import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface InitArgs extends VaultArgs {
  readonly threshold: number
  readonly writeQuorum?: number
  readonly name: string
}

export const initCommand = {
  command: 'init',
  describe: 'Create a vault: keys (0600), state, and this node identity',
  options: {
    ...vaultOptions,
    threshold: { type: 'number', alias: 'k', demandOption: true, describe: 'guardians needed to restore' },
    writeQuorum: { type: 'number', alias: 'w', describe: 'guardians that must hold a version (default k)' },
    name: { type: 'string', default: 'my node', describe: 'a name your guardians will see' },
  } satisfies CliOptions<InitArgs>,
}
