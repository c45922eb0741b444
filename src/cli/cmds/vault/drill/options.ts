import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export type DrillArgs = VaultArgs

export const drillCommand = {
  command: 'drill',
  describe: 'Rehearse a recovery: every guardian proves its share and the newest version',
  options: vaultOptions satisfies CliOptions<DrillArgs>,
}
