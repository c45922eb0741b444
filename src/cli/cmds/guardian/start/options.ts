import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type GuardianArgs, guardianOptions } from '../options.js'

/** Where the local page listens unless the friend says otherwise. */
export const DEFAULT_WEB_LISTEN = '127.0.0.1:4647'

export interface StartArgs extends GuardianArgs {
  readonly antiEntropy: string
  readonly web: boolean
  readonly webListen: string
}

export const startCommand = {
  command: 'start',
  describe: 'Run the guardian in the foreground (Ctrl-C stops it)',
  options: {
    ...guardianOptions,
    antiEntropy: durationOption('antiEntropy', 'how often to compare with other guardians'),
    web: {
      type: 'boolean',
      default: true,
      describe:
        'serve your local page (requests, approvals, history, /metrics) on --web-listen (--no-web: not)',
    },
    webListen: {
      type: 'string',
      default: DEFAULT_WEB_LISTEN,
      describe: 'host:port of the local page; keep 127.0.0.1 unless you mean it',
    },
  } satisfies CliOptions<StartArgs>,
}
