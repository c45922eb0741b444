import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface InviteArgs extends GuardianJsonArgs {
  readonly label: string
  readonly quota: string
  readonly expires: string
  readonly releaseDelay: string
}

export const inviteCommand = {
  command: 'invite',
  describe: "Make a one-time invite for a friend's node",
  options: {
    ...guardianJsonOptions,
    label: { type: 'string', default: 'guardian', describe: 'how this guardian is named to your friend' },
    quota: { type: 'string', default: '1GiB', describe: 'most space the vault may use' },
    expires: durationOption('inviteExpiry', 'how long the invite stays usable'),
    releaseDelay: durationOption(
      'releaseDelay',
      "after you approve a recovery, wait this long before your share goes out: the owner's veto window",
    ),
  } satisfies CliOptions<InviteArgs>,
}
