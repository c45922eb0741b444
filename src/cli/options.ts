/** Options many commands share: where the data lives, JSON output, the vault's passphrase file. */
import type { CliOption } from './command.js'

export const jsonOption: CliOption<boolean> = { type: 'boolean', default: false, describe: 'print JSON' }

export const dataDirOption = (defaultDir: string, describe: string): CliOption<string> => ({
  type: 'string',
  default: defaultDir,
  describe,
})

export const passphraseFileOption: CliOption<string | undefined> = {
  type: 'string',
  describe:
    "file holding the passphrase that seals the vault key ('-': standard input; KITH_PASSPHRASE_FILE)",
}
