import type { CliOptions } from '../../../command.js'
import { jsonOption } from '../../../options.js'

export interface InspectArgs {
  readonly share: string
  readonly json: boolean
}

export const inspectCommand = {
  command: 'inspect <share>',
  describe:
    'Verify a paper share (kshare1… text, or a file holding it) and show whose it is; never prints the share',
  options: {
    share: {
      type: 'string',
      positional: true,
      demandOption: true,
      describe: 'kshare1… text, or a path to a file with it',
    },
    json: jsonOption,
  } satisfies CliOptions<InspectArgs>,
}
