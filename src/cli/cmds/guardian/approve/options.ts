import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface ApproveArgs extends GuardianJsonArgs {
  readonly request?: string
  readonly code: string
  readonly overrideVeto: boolean
}

export const approveCommand = {
  command: 'approve [request]',
  describe: "Release your share to a friend's recovery: type the code they read to you by phone",
  options: {
    ...guardianJsonOptions,
    request: {
      type: 'string',
      positional: true,
      describe: 'request id (or its start); not needed: the code finds the request',
    },
    code: { type: 'string', demandOption: true, describe: 'the code your friend reads to you (123-456)' },
    overrideVeto: {
      type: 'boolean',
      default: false,
      describe: 'approve although the vault key vetoed it (you spoke to your friend)',
    },
  } satisfies CliOptions<ApproveArgs>,
}
