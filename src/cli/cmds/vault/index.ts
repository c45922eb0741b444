/** `kith vault …`: the operator's vault: create, guardians, sources, backup, status. */
import type { Argv, CommandModule } from 'yargs'
import { DEFAULT_VAULT_DIR } from '../../../coordinator/vault.js'
import {
  vaultAddGuardian,
  vaultAddSource,
  vaultBackup,
  vaultDrill,
  vaultInit,
  vaultKit,
  vaultRemoveGuardian,
  vaultSources,
  vaultStatusCommand,
  vaultVeto,
  vaultWatch,
} from './handlers.js'

const common = (y: Argv) =>
  y
    .option('data-dir', {
      type: 'string',
      default: DEFAULT_VAULT_DIR,
      describe: 'where the vault keeps its keys and state',
    })
    .option('passphrase-file', {
      type: 'string',
      describe: 'file holding the passphrase that seals the vault key',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })

// yargs hands handlers a loose bag; each handler documents the fields it reads
// biome-ignore lint/suspicious/noExplicitAny: boundary with yargs' untyped argv
type Args = any

export const vaultCommand: CommandModule = {
  command: 'vault <command>',
  describe: "Back up this node's files to guardians",
  builder: (y) =>
    y
      .command({
        command: 'init',
        describe: 'Create a vault: keys (0600), state, and this node identity',
        builder: (b) =>
          common(b)
            .option('threshold', {
              alias: 'k',
              type: 'number',
              demandOption: true,
              describe: 'guardians needed to restore',
            })
            .option('write-quorum', {
              alias: 'w',
              type: 'number',
              describe: 'guardians that must hold a version (default k)',
            })
            .option('name', {
              type: 'string',
              default: 'my node',
              describe: 'a name your guardians will see',
            }),
        handler: (a: Args) => vaultInit(a),
      })
      .command({
        command: 'add-guardian <invite..>',
        describe: 'Add guardians by their invites (kinvite1…)',
        builder: (b) => common(b).positional('invite', { type: 'string', array: true, demandOption: true }),
        handler: (a: Args) => vaultAddGuardian(a),
      })
      .command({
        command: 'remove-guardian <peer-id>',
        describe:
          'Remove a guardian: new epoch, new data key, current state re-encrypted; it deletes its copy',
        builder: (b) =>
          common(b).positional('peer-id', { type: 'string', demandOption: true }).option('timeout', {
            type: 'string',
            default: '60s',
            describe: 'give up waiting for receipts after this',
          }),
        handler: (a: Args) => vaultRemoveGuardian(a),
      })
      .command({
        command: 'add-source <kind> <path>',
        describe: 'Back up a file or directory: lnd-scb, cln-emergency, sqlite, file, dir',
        builder: (b) =>
          common(b)
            .positional('kind', {
              type: 'string',
              choices: ['lnd-scb', 'cln-emergency', 'sqlite', 'file', 'dir'],
              demandOption: true,
            })
            .positional('path', { type: 'string', demandOption: true })
            .option('name', {
              type: 'string',
              describe: 'a short name (default from the kind or file name)',
            }),
        handler: (a: Args) => vaultAddSource(a),
      })
      .command({
        command: 'sources',
        describe: 'List sources, or remove one with --remove NAME',
        builder: (b) =>
          common(b).option('remove', { type: 'string', describe: 'name of the source to remove' }),
        handler: (a: Args) => vaultSources(a),
      })
      .command({
        command: 'backup',
        describe: 'Make a new version now and push it to every guardian',
        builder: (b) =>
          common(b).option('timeout', {
            type: 'string',
            default: '60s',
            describe: 'give up waiting for receipts after this',
          }),
        handler: (a: Args) => vaultBackup(a),
      })
      .command({
        command: 'watch',
        describe: 'Back up whenever a source changes (runs until Ctrl-C)',
        builder: (b) =>
          common(b)
            .option('debounce', {
              type: 'string',
              default: '2s',
              describe: 'quiet time after a change before backing up',
            })
            .option('retry', {
              type: 'string',
              default: '30s',
              describe: 'how often to re-check and retry lagging guardians',
            })
            .option('timeout', {
              type: 'string',
              default: '60s',
              describe: 'give up waiting for receipts after this',
            })
            .option('alert-webhook', {
              type: 'string',
              describe: 'POST a JSON event here on health changes and incidents',
            })
            .option('alert-command', {
              type: 'string',
              describe: 'run this (sh -c) with the JSON event on stdin',
            }),
        handler: (a: Args) => vaultWatch(a),
      })
      .command({
        command: 'status',
        describe: 'How safe the vault is, guardian by guardian',
        builder: (b) =>
          common(b).option('offline', {
            type: 'boolean',
            default: false,
            describe: 'do not ask the guardians',
          }),
        handler: (a: Args) => vaultStatusCommand(a),
      })
      .command({
        command: 'kit',
        describe: 'Write the printable recovery kit (text and HTML with a QR code; no secrets)',
        builder: (b) =>
          common(b).option('out', {
            type: 'string',
            default: 'kith-recovery-kit',
            describe: 'file name without extension: writes OUT.txt and OUT.html',
          }),
        handler: (a: Args) => vaultKit(a),
      })
      .command({
        command: 'drill',
        describe: 'Rehearse a recovery: every guardian proves its share and the newest version',
        builder: (b) => common(b),
        handler: (a: Args) => vaultDrill(a),
      })
      .command({
        command: 'veto <request>',
        describe: 'Stop a recovery request that is not yours (signed by the vault key)',
        builder: (b) => common(b).positional('request', { type: 'string', demandOption: true }),
        handler: (a: Args) => vaultVeto(a),
      })
      .demandCommand(1),
  handler: () => {},
}
