import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface ApproveArgs extends GuardianJsonArgs {
  readonly request: string
  readonly code: string
  readonly overrideVeto: boolean
}

export const approveCommand = {
  command: 'approve <request>',
  describe: "Release your share to a friend's recovery, after comparing the code by phone",
  options: {
    ...guardianJsonOptions,
    request: { type: 'string', positional: true, demandOption: true, describe: 'request id (or its start)' },
    code: { type: 'string', demandOption: true, describe: 'the code your friend reads to you' },
    overrideVeto: {
      type: 'boolean',
      default: false,
      describe: 'approve although the vault key vetoed it (you spoke to your friend)',
    },
  } satisfies CliOptions<ApproveArgs>,
}
