import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface OpenArgs extends GuardianJsonArgs {
  readonly browser: boolean
}

export const openCommand = {
  command: 'open',
  describe: "Open your guardian's page in a browser: a login link that works once, for 10 minutes",
  options: {
    ...guardianJsonOptions,
    browser: {
      type: 'boolean',
      default: true,
      describe: 'open it in a browser where this computer has a screen (--no-browser: only print the link)',
    },
  } satisfies CliOptions<OpenArgs>,
}
