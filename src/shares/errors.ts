/** Errors of key splitting and combining. Facts name share indexes (x), never share bytes. */
import { KithError } from '../errors.js'

export class InvalidThresholdError extends KithError {
  readonly code = 'INVALID_THRESHOLD'
  /** Without `n` (a vault not split yet): only k is said, as it was given. */
  constructor(k: number, n?: number) {
    super(
      n === undefined
        ? `k = ${k} is not allowed: k must be 2 to 255 (no one friend alone may restore the vault)`
        : `threshold ${k} of ${n} is not allowed: need 2 <= k <= n <= 255`,
      { k, ...(n !== undefined ? { n } : {}) },
    )
  }
}

export class InsufficientSharesError extends KithError {
  readonly code = 'INSUFFICIENT_SHARES'
  constructor(
    readonly have: number,
    readonly need: number,
  ) {
    super(`${have} valid share(s), but ${need} are needed to rebuild the key`, { have, need })
  }
}

/** Which property two shares disagree on, or differ from what was expected. */
export type ShareMismatchField = 'vault' | 'epoch' | 'threshold' | 'count' | 'commitment'

export class ShareMismatchError extends KithError {
  readonly code = 'SHARE_MISMATCH'
  constructor(
    readonly field: ShareMismatchField,
    x: number,
  ) {
    super(`share x=${x} belongs to a different ${field} than the others; it is from another split or vault`, {
      field,
      x,
    })
  }
}

export class DuplicateShareError extends KithError {
  readonly code = 'DUPLICATE_SHARE'
  constructor(x: number) {
    super(`share x=${x} was given twice; each guardian's share counts once`, { x })
  }
}

/** x = 0 would make the library return that share's bytes as "the key". */
export class InvalidShareIndexError extends KithError {
  readonly code = 'INVALID_SHARE_INDEX'
  constructor(x: number) {
    super(`share index x=${x} is invalid (must be 1..255)`, { x })
  }
}

/** No k of the given shares rebuild a key that matches the published commitment. */
export class KeyCommitmentMismatchError extends KithError {
  readonly code = 'KEY_COMMITMENT_MISMATCH'
  constructor(given: number) {
    super(
      `these ${given} shares do not rebuild a key that matches its commitment; some are bad or from another split`,
      { given },
    )
  }
}
