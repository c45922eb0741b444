import type { CliOptions } from '../../../command.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface KitArgs extends VaultArgs {
  readonly out: string
}

export const kitCommand = {
  command: 'kit',
  describe: 'Write the printable recovery kit (text and HTML with a QR code; no secrets)',
  options: {
    ...vaultOptions,
    out: {
      type: 'string',
      default: 'kith-recovery-kit',
      describe: 'file name without extension: writes OUT.txt and OUT.html',
    },
  } satisfies CliOptions<KitArgs>,
}
