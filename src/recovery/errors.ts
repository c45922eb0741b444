/** Errors of a recovery (docs/troubleshooting.md). Messages say what to do; none carries a secret. */
import { KithError } from '../errors.js'

/** Fewer guardians answered than it takes to be sure the newest committed version was seen. */
export class PossiblyStaleError extends KithError {
  readonly code = 'POSSIBLY_STALE'
  constructor(
    readonly answered: number,
    readonly needed: number,
    readonly version: number,
  ) {
    super(
      `only ${answered} guardian(s) answered, ${needed} are needed to be sure version ${version} is the newest committed one. Restoring stale Lightning channel state can hand your channel funds to your peers: bring more guardians online, or pass --accept-stale if you know it is the newest`,
      { answered, needed, version },
    )
  }
}

/** The shares released cannot reach k, now or later. */
export class NotEnoughApprovalsError extends KithError {
  readonly code = 'NOT_ENOUGH_APPROVALS'
  constructor(have: number, k: number, why: string) {
    super(`${have} of the ${k} shares needed were released (${why}); nothing was restored`, { have, k })
  }
}

/** A recovery kit that cannot be read. */
export class InvalidKitError extends KithError {
  readonly code = 'INVALID_KIT'
  constructor(why: string) {
    super(`the recovery kit cannot be read: ${why}`)
  }
}

/** A --guardian address without a peer ID, or not a multiaddr. */
export class InvalidGuardianAddressError extends KithError {
  readonly code = 'INVALID_GUARDIAN_ADDR'
  constructor(addr: string) {
    super(`'${addr}' is not a guardian address: give a multiaddr ending in /p2p/<peer id>`, { addr })
  }
}

/** The guardians hold no version of this vault. */
export class NothingToRestoreError extends KithError {
  readonly code = 'NOTHING_TO_RESTORE'
  constructor() {
    super('no guardian that answered holds any version of this vault')
  }
}

/** Waited longer than --wait for approvals. */
export class RecoveryTimeoutError extends KithError {
  readonly code = 'RECOVERY_TIMEOUT'
  constructor(have: number, k: number) {
    super(`stopped waiting with ${have} of ${k} shares; run 'kith recover' again (friends approve anew)`, {
      have,
      k,
    })
  }
}
