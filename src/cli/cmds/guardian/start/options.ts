import type { CliOptions } from '../../../command.js'
import { type GuardianArgs, guardianOptions } from '../options.js'

export interface StartArgs extends GuardianArgs {
  readonly antiEntropy?: string
}

export const startCommand = {
  command: 'start',
  describe: 'Run the guardian in the foreground (Ctrl-C stops it)',
  options: {
    ...guardianOptions,
    antiEntropy: { type: 'string', describe: 'how often to compare with other guardians (default 1m)' },
  } satisfies CliOptions<StartArgs>,
}
