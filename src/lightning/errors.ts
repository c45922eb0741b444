/** Errors of reading a Lightning node's files (src/lightning/). Messages name the file and why, never its contents. */
import { KithError } from '../errors.js'

/**
 * A file given as a source of one kind that cannot be that kind (too short, text, not SQLite, no schema
 * version, …): refused before anything is backed up or restored. `source` names the file as the operator
 * knows it (a source name or a path), `what` what it had to be; one line: "<source> is not <what>: <reason>".
 */
export class SourceMismatchError extends KithError {
  readonly code = 'SOURCE_MISMATCH'
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly what = 'what its source kind needs',
  ) {
    super(`${source} is not ${what}: ${reason}`, { source, what, reason })
  }
}

/**
 * A node file sealed with a passphrase (CLN's encrypted hsm_secret, or a mnemonic one with a BIP39
 * passphrase), and none was given: it cannot be read, so it cannot be checked. `form` names which.
 */
export class PassphraseNeededError extends KithError {
  readonly code = 'PASSPHRASE_NEEDED'
  constructor(
    readonly source: string,
    readonly form: string,
  ) {
    super(`${source} is sealed with a passphrase (${form}); give the node's hsm_secret passphrase`, {
      source,
      form,
    })
  }
}

/**
 * A passphrase that does not open a CLN hsm_secret: `wrong` (or, for the 73-byte encrypted form, the file
 * was altered: its tag cannot tell which), or `not-needed`: one was given for a mnemonic stored without
 * one, which lightningd refuses as well.
 */
export class WrongHsmPassphraseError extends KithError {
  readonly code = 'WRONG_HSM_PASSPHRASE'
  constructor(
    readonly source: string,
    readonly reason: 'wrong' | 'not-needed',
  ) {
    super(
      reason === 'wrong'
        ? `the passphrase does not open ${source} (or the file was altered)`
        : `${source} has no passphrase, but one was given; lightningd refuses this too`,
      { source, reason },
    )
  }
}
