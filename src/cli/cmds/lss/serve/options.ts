import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../../vault/options.js'

export interface ServeArgs extends VaultArgs {
  readonly listen: string
  readonly vssListen?: string
  readonly store?: string
  readonly replaceStore?: boolean
  readonly hold: string
  readonly alertWebhook?: string
  readonly alertCommand?: string
}

export const serveCommand = {
  command: 'serve',
  describe:
    "Serve a signer's storage (LSS for VLS; VSS for ldk-node), each write held by W guardians before it is answered",
  options: {
    ...vaultOptions,
    listen: {
      type: 'string',
      default: '127.0.0.1:55551',
      describe: "LSS (gRPC) on host:port, where VLS looks by default; 'off' for none",
    },
    vssListen: {
      type: 'string',
      describe:
        'also serve VSS (HTTP) on host:port (e.g. 127.0.0.1:8080); ldk-node then uses http://<it>/vss',
    },
    store: {
      type: 'string',
      describe:
        "the signer store's SQLite file (default: the one the vault follows, or signer-store.sqlite3 in the vault directory)",
    },
    replaceStore: {
      type: 'boolean',
      describe: 'serve --store although the vault follows another signer store that is still there',
    },
    hold: durationOption('clnHold', 'how long a write waits for W guardians before it is refused'),
    alertWebhook: { type: 'string', describe: 'POST a JSON alert here when replication falls short' },
    alertCommand: { type: 'string', describe: 'run this command (alert JSON on stdin) when it falls short' },
  } satisfies CliOptions<ServeArgs>,
}
