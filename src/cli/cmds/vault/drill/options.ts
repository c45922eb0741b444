import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface DrillArgs extends VaultArgs {
  readonly restore: boolean
}

export const drillCommand = {
  command: 'drill',
  describe: 'Rehearse a recovery: every guardian proves its share and the newest version',
  options: {
    ...vaultOptions,
    restore: {
      type: 'boolean',
      default: false,
      describe:
        'the full drill: also restore the newest version from the guardians into a private temp dir, check its files, compare them with the live ones, remove it',
    },
  } satisfies CliOptions<DrillArgs>,
}
