import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface InviteArgs extends GuardianJsonArgs {
  readonly label: string
  readonly quota: string
  readonly expires: string
  readonly releaseDelay?: string
}

export const inviteCommand = {
  command: 'invite',
  describe: "Make a one-time invite for a friend's node",
  options: {
    ...guardianJsonOptions,
    label: { type: 'string', default: 'guardian', describe: 'how this guardian is named to your friend' },
    quota: { type: 'string', default: '1GiB', describe: 'most space the vault may use' },
    expires: { type: 'string', default: '7d', describe: 'how long the invite stays usable' },
    releaseDelay: {
      type: 'string',
      describe: 'wait this long after you approve a recovery before releasing (e.g. 24h)',
    },
  } satisfies CliOptions<InviteArgs>,
}
