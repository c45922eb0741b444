import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface PolicyArgs extends GuardianJsonArgs {
  readonly vault?: string
  readonly releaseDelay?: string
  readonly expireAfter?: string
}

export const policyCommand = {
  command: 'policy [vault]',
  describe: 'Show or set the release delay and request lifetime of a vault',
  options: {
    ...guardianJsonOptions,
    vault: { type: 'string', positional: true, describe: 'vault label or kvault1… id' },
    releaseDelay: { type: 'string', describe: 'time between approval and release, e.g. 24h' },
    expireAfter: { type: 'string', describe: 'how long a request may wait, e.g. 7d' },
  } satisfies CliOptions<PolicyArgs>,
}
