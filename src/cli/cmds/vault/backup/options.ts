import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface BackupArgs extends VaultArgs {
  readonly timeout: string
}

export const backupCommand = {
  command: 'backup',
  describe: 'Make a new version now and push it to every guardian',
  options: {
    ...vaultOptions,
    timeout: { type: 'string', default: '60s', describe: 'give up waiting for receipts after this' },
  } satisfies CliOptions<BackupArgs>,
}
