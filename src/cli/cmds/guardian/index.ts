/** `kith guardian …`: run a guardian for friends' nodes. */
import type { Argv, CommandModule } from 'yargs'
import { DEFAULT_GUARDIAN_DIR } from '../../../guardian/config.js'
import {
  guardianApprove,
  guardianDeny,
  guardianInit,
  guardianInvite,
  guardianPolicy,
  guardianRequests,
  guardianStart,
  guardianStatus,
} from './handlers.js'

const dataDir = (y: Argv) =>
  y.option('data-dir', {
    type: 'string',
    default: DEFAULT_GUARDIAN_DIR,
    describe: 'where the guardian keeps its data',
  })
const json = (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' })

type Args = Record<string, unknown>

export const guardianCommand: CommandModule = {
  command: 'guardian <command>',
  describe: "Run a guardian that keeps friends' node backups",
  builder: (y) =>
    y
      .command({
        command: 'init',
        describe: 'Create a guardian: identity key, database, listen address',
        builder: (b) =>
          json(dataDir(b))
            .option('listen', {
              type: 'string',
              array: true,
              describe: 'multiaddr to listen on (default /ip4/0.0.0.0/tcp/4646)',
            })
            .option('announce', {
              type: 'string',
              array: true,
              describe: 'multiaddr friends should dial, if not the listen one',
            }),
        handler: (a: Args) => guardianInit(a as Parameters<typeof guardianInit>[0]),
      })
      .command({
        command: 'start',
        describe: 'Run the guardian in the foreground (Ctrl-C stops it)',
        builder: (b) =>
          dataDir(b).option('anti-entropy', {
            type: 'string',
            describe: 'how often to compare with other guardians (default 1m)',
          }),
        handler: (a: Args) => guardianStart(a as Parameters<typeof guardianStart>[0]),
      })
      .command({
        command: 'invite',
        describe: "Make a one-time invite for a friend's node",
        builder: (b) =>
          json(dataDir(b))
            .option('label', {
              type: 'string',
              default: 'guardian',
              describe: 'how this guardian is named to your friend',
            })
            .option('quota', { type: 'string', default: '1GiB', describe: 'most space the vault may use' })
            .option('expires', {
              type: 'string',
              default: '7d',
              describe: 'how long the invite stays usable',
            })
            .option('release-delay', {
              type: 'string',
              describe: 'wait this long after you approve a recovery before releasing (e.g. 24h)',
            }),
        handler: (a: Args) => guardianInvite(a as Parameters<typeof guardianInvite>[0]),
      })
      .command({
        command: 'status',
        describe: 'Show the vaults this guardian keeps',
        builder: (b) => json(dataDir(b)),
        handler: (a: Args) => guardianStatus(a as Parameters<typeof guardianStatus>[0]),
      })
      .command({
        command: 'requests',
        describe: 'List recovery requests waiting for you, with the code to compare',
        builder: (b) =>
          json(dataDir(b)).option('all', {
            type: 'boolean',
            default: false,
            describe: 'include closed ones',
          }),
        handler: (a: Args) => guardianRequests(a as Parameters<typeof guardianRequests>[0]),
      })
      .command({
        command: 'approve <request>',
        describe: "Release your share to a friend's recovery, after comparing the code by phone",
        builder: (b) =>
          json(dataDir(b))
            .positional('request', {
              type: 'string',
              demandOption: true,
              describe: 'request id (or its start)',
            })
            .option('code', {
              type: 'string',
              demandOption: true,
              describe: 'the code your friend reads to you',
            })
            .option('override-veto', {
              type: 'boolean',
              default: false,
              describe: 'approve although the vault key vetoed it (you spoke to your friend)',
            }),
        handler: (a: Args) => guardianApprove(a as Parameters<typeof guardianApprove>[0]),
      })
      .command({
        command: 'deny <request>',
        describe: 'Refuse a recovery request; nothing is released',
        builder: (b) =>
          json(dataDir(b)).positional('request', {
            type: 'string',
            demandOption: true,
            describe: 'request id (or its start)',
          }),
        handler: (a: Args) => guardianDeny(a as Parameters<typeof guardianDeny>[0]),
      })
      .command({
        command: 'policy [vault]',
        describe: 'Show or set the release delay and request lifetime of a vault',
        builder: (b) =>
          json(dataDir(b))
            .positional('vault', { type: 'string', describe: 'vault label or kvault1… id' })
            .option('release-delay', {
              type: 'string',
              describe: 'time between approval and release, e.g. 24h',
            })
            .option('expire-after', { type: 'string', describe: 'how long a request may wait, e.g. 7d' }),
        handler: (a: Args) => guardianPolicy(a as Parameters<typeof guardianPolicy>[0]),
      })
      .demandCommand(1),
  handler: () => {},
}
