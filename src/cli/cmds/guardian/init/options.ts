import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface InitArgs extends GuardianJsonArgs {
  readonly listen?: readonly string[]
  readonly announce?: readonly string[]
}

export const initCommand = {
  command: 'init',
  describe: 'Create a guardian: identity key, database, listen address',
  options: {
    ...guardianJsonOptions,
    listen: {
      type: 'string',
      array: true,
      describe: 'multiaddr to listen on (default /ip4/0.0.0.0/tcp/4646)',
    },
    announce: {
      type: 'string',
      array: true,
      describe: 'multiaddr friends should dial, if not the listen one',
    },
  } satisfies CliOptions<InitArgs>,
}
