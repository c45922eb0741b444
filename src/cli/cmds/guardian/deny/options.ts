import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface DenyArgs extends GuardianJsonArgs {
  readonly request?: string
  readonly allWaiting: boolean
  readonly vault?: string
}

export const denyCommand = {
  command: 'deny [request]',
  describe:
    'Refuse a recovery request (or, with --all-waiting, every one still waiting); nothing is released',
  options: {
    ...guardianJsonOptions,
    request: { type: 'string', positional: true, describe: 'request id (or its start)' },
    allWaiting: {
      type: 'boolean',
      default: false,
      describe: 'deny every request still waiting (of --vault, or of every vault); approved ones stay',
    },
    vault: { type: 'string', describe: 'with --all-waiting: only this vault (its label or kvault1… id)' },
  } satisfies CliOptions<DenyArgs>,
}
