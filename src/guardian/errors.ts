/** Errors a guardian raises; most travel back to the peer as an error reply with the same code. */
import { KithError } from '../errors.js'

export class UnknownVaultError extends KithError {
  readonly code = 'UNKNOWN_VAULT'
  constructor() {
    super('this guardian does not keep that vault')
  }
}

/** The roster does not name this guardian, or the share is not for this roster. */
export class RosterMismatchError extends KithError {
  readonly code = 'ROSTER_MISMATCH'
  constructor(reason: string) {
    super(`roster refused: ${reason}`, { reason })
  }
}

/** A version at or below the newest one held: guardians never roll back. */
export class RollbackError extends KithError {
  readonly code = 'ROLLBACK'
  constructor(held: number, offered: number) {
    super(`version ${offered} is not newer than version ${held} already held; guardians never roll back`, {
      held,
      offered,
    })
  }
}

/** A second, different signed manifest for a version already held: two coordinators are alive. */
export class EquivocationError extends KithError {
  readonly code = 'EQUIVOCATION'
  constructor(
    readonly version: number,
    /** The two signed heads that prove it, for announcing. */
    readonly heads?: { readonly held: Uint8Array; readonly offered: Uint8Array },
  ) {
    super(`a different manifest for version ${version} is already held: two coordinators may be running`, {
      version,
    })
  }
}

/** A push from an epoch older than the vault's current roster. */
export class StaleEpochError extends KithError {
  readonly code = 'STALE_EPOCH'
  constructor(current: number, offered: number) {
    super(`epoch ${offered} is older than the current epoch ${current}`, { current, offered })
  }
}

export class QuotaExceededError extends KithError {
  readonly code = 'QUOTA_EXCEEDED'
  constructor(quota: number, needed: number) {
    super(`storing this would use ${needed} bytes, over the vault's quota of ${quota}; nothing was stored`, {
      quota,
      needed,
    })
  }
}

export class GuardianNotInitializedError extends KithError {
  readonly code = 'GUARDIAN_NOT_INITIALIZED'
  constructor(dir: string) {
    super(`no guardian in ${dir}; run 'kith guardian init' first`, { dir })
  }
}

/** A fetch for something this guardian does not hold. */
export class NotHeldError extends KithError {
  readonly code = 'NOT_HELD'
  constructor() {
    super('this guardian does not hold what was asked for')
  }
}
