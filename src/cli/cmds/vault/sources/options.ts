import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface SourcesArgs extends VaultArgs {
  readonly remove?: string
}

export const sourcesCommand = {
  command: 'sources',
  describe: 'List sources, or remove one with --remove NAME',
  options: {
    ...vaultOptions,
    remove: { type: 'string', describe: 'name of the source to remove' },
  } satisfies CliOptions<SourcesArgs>,
}
