import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface AddSourceArgs extends VaultArgs {
  readonly kind: 'lnd-scb' | 'cln-hsm' | 'cln-emergency' | 'sqlite' | 'file' | 'dir'
  readonly path: string
  readonly name?: string
  readonly hsmPassphraseFile?: string
}

export const addSourceCommand = {
  command: 'add-source <kind> <path>',
  describe:
    'Back up a file or directory: lnd-scb, cln-hsm, cln-emergency, sqlite, file, dir (each checked for what it says it is)',
  options: {
    ...vaultOptions,
    kind: {
      type: 'string',
      positional: true,
      demandOption: true,
      choices: ['lnd-scb', 'cln-hsm', 'cln-emergency', 'sqlite', 'file', 'dir'],
      describe: 'what the source is',
    },
    path: { type: 'string', positional: true, demandOption: true, describe: 'where it is on this machine' },
    name: { type: 'string', describe: 'a short name (default from the kind or file name)' },
    hsmPassphraseFile: {
      type: 'string',
      describe:
        "file holding your hsm_secret's passphrase, if lightningd asks for one ('-': standard input): only to check which node it makes, never stored",
    },
  } satisfies CliOptions<AddSourceArgs>,
}
