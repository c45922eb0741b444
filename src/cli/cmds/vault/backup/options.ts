import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface BackupArgs extends VaultArgs {
  readonly timeout: string
}

export const backupCommand = {
  command: 'backup',
  describe: 'Make a new version now and push it to every guardian',
  options: {
    ...vaultOptions,
    timeout: durationOption('push', 'give up waiting for receipts after this'),
  } satisfies CliOptions<BackupArgs>,
}
