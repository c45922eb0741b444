/** `kith guardian …`: run a guardian for friends' nodes. */
import type { Argv, CommandModule } from 'yargs'
import { DEFAULT_GUARDIAN_DIR } from '../../../guardian/config.js'
import { guardianInit, guardianInvite, guardianStart, guardianStatus } from './handlers.js'

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
        handler: (a: Args) =>
          guardianInit(a as { dataDir: string; listen?: string[]; announce?: string[]; json: boolean }),
      })
      .command({
        command: 'start',
        describe: 'Run the guardian in the foreground (Ctrl-C stops it)',
        builder: (b) =>
          dataDir(b).option('anti-entropy', {
            type: 'string',
            describe: 'how often to compare with other guardians (default 1m)',
          }),
        handler: (a: Args) => guardianStart(a as { dataDir: string; antiEntropy?: string }),
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
            }),
        handler: (a: Args) =>
          guardianInvite(
            a as { dataDir: string; label: string; quota: string; expires: string; json: boolean },
          ),
      })
      .command({
        command: 'status',
        describe: 'Show the vaults this guardian keeps',
        builder: (b) => json(dataDir(b)),
        handler: (a: Args) => guardianStatus(a as { dataDir: string; json: boolean }),
      })
      .demandCommand(1),
  handler: () => {},
}
