import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface KeepArgs extends GuardianJsonArgs {
  readonly vault: string
}

export const keepCommand = {
  command: 'keep <vault>',
  describe: "Keep a vault's data that a new roster dropped you from (nothing is deleted)",
  options: {
    ...guardianJsonOptions,
    vault: { type: 'string', positional: true, demandOption: true, describe: 'its label or kvault1… id' },
  } satisfies CliOptions<KeepArgs>,
}
