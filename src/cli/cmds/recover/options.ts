import { DEFAULT_VAULT_DIR } from '../../../coordinator/paths.js'
import type { CliOptions } from '../../command.js'
import { durationOption, jsonOption, passphraseFileOption } from '../../options.js'

export interface RecoverArgs {
  readonly kit?: string
  readonly vault?: string
  readonly guardian?: readonly string[]
  readonly out: string
  readonly acceptStale: boolean
  readonly tolerate?: number
  readonly version?: number
  readonly wait: string
  readonly poll: string
  readonly resume: boolean
  readonly oldNodeStopped: boolean
  readonly paperShare?: string
  readonly dataDir: string
  readonly passphraseFile?: string
  readonly json: boolean
}

export const recoverCommand = {
  command: 'recover',
  describe: "Recover a lost node's files from its guardians (k friends approve)",
  options: {
    kit: { type: 'string', describe: 'the recovery kit (text or HTML)' },
    vault: { type: 'string', describe: 'vault id (kvault1…), without a kit' },
    guardian: {
      type: 'string',
      array: true,
      describe: 'a guardian multiaddr ending in /p2p/<peer id> (repeatable)',
    },
    out: { type: 'string', demandOption: true, describe: 'directory to restore into' },
    acceptStale: {
      type: 'boolean',
      default: false,
      describe: 'restore even if too few guardians answered to be sure it is the newest version',
    },
    tolerate: {
      type: 'number',
      describe: 'how many answering guardians may lie or be rolled back (default 1, or 0 when W = 1)',
    },
    version: {
      type: 'number',
      describe: 'restore this older version on purpose (stale: your peers may take the channels)',
    },
    wait: durationOption('recoveryWait', 'how long to wait for approvals'),
    poll: durationOption('recoveryPoll', 'how often to ask each guardian'),
    resume: {
      type: 'boolean',
      default: false,
      describe: "become the vault's coordinator here (fences the old one out, rotates the data key)",
    },
    paperShare: {
      type: 'string',
      describe:
        'your own paper share (kith vault paper-share): it counts toward k, so one friend fewer approves',
    },
    oldNodeStopped: {
      type: 'boolean',
      default: false,
      describe:
        'with --resume: your word that the old node is stopped for good, when guardians heard it within the hour',
    },
    dataDir: {
      type: 'string',
      default: DEFAULT_VAULT_DIR,
      describe: 'with --resume: where the vault keeps its keys and state',
    },
    passphraseFile: { ...passphraseFileOption, describe: 'with --resume: seal the vault key with this' },
    json: { ...jsonOption, describe: 'one JSON object per event' },
  } satisfies CliOptions<RecoverArgs>,
}
