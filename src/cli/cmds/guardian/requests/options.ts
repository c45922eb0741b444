import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface RequestsArgs extends GuardianJsonArgs {
  readonly all: boolean
}

export const requestsCommand = {
  command: 'requests',
  describe: 'List recovery requests waiting for you (the code comes from your friend, by phone)',
  options: {
    ...guardianJsonOptions,
    all: { type: 'boolean', default: false, describe: 'include closed ones' },
  } satisfies CliOptions<RequestsArgs>,
}
