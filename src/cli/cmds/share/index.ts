/** `kith share inspect`: check a paper share (kshare1…) without revealing it. */
import type { CommandModule } from 'yargs'
import { inspectShare } from './handler.js'

export const shareCommand: CommandModule = {
  command: 'share <command>',
  describe: 'Check a paper share backup',
  builder: (y) =>
    y
      .command({
        command: 'inspect <share>',
        describe:
          'Verify a paper share (kshare1… text, or a file holding it) and show whose it is; never prints the share',
        builder: (b) =>
          b
            .positional('share', {
              type: 'string',
              demandOption: true,
              describe: 'kshare1… text, or a path to a file with it',
            })
            .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
        handler: (argv) => inspectShare(argv as unknown as { share: string; json: boolean }),
      })
      .demandCommand(1),
  handler: () => {},
}
