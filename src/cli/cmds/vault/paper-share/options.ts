import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface PaperShareArgs extends VaultArgs {
  readonly out: string
}

export const paperShareCommand = {
  command: 'paper-share',
  describe:
    "Write your own share of the vault's key for paper (text and HTML with a QR code): with it, k-1 friends can recover",
  options: {
    ...vaultOptions,
    out: {
      type: 'string',
      default: 'kith-paper-share',
      describe:
        'file name without extension: writes OUT.txt and OUT.html (mode 0600); print them, then delete them',
    },
  } satisfies CliOptions<PaperShareArgs>,
}
