import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export type StatusArgs = GuardianJsonArgs

export const statusCommand = {
  command: 'status',
  describe: 'Show the vaults this guardian keeps',
  options: guardianJsonOptions satisfies CliOptions<StatusArgs>,
}
