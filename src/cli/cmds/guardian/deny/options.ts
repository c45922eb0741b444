import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface DenyArgs extends GuardianJsonArgs {
  readonly request: string
}

export const denyCommand = {
  command: 'deny <request>',
  describe: 'Refuse a recovery request; nothing is released',
  options: {
    ...guardianJsonOptions,
    request: { type: 'string', positional: true, demandOption: true, describe: 'request id (or its start)' },
  } satisfies CliOptions<DenyArgs>,
}
