/** Options every `kith vault …` command takes. Light on purpose: handlers load the vault code. */
import { DEFAULT_VAULT_DIR } from '../../../coordinator/paths.js'
import { dataDirOption, jsonOption, passphraseFileOption } from '../../options.js'

export interface VaultArgs {
  readonly dataDir: string
  readonly passphraseFile?: string
  readonly json: boolean
}

export const vaultOptions = {
  dataDir: dataDirOption(DEFAULT_VAULT_DIR, 'where the vault keeps its keys and state'),
  passphraseFile: passphraseFileOption,
  json: jsonOption,
} as const
