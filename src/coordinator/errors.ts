/** Errors of the operator's side. Facts name guardians by short peer id, never keys or shares. */
import { KithError } from '../errors.js'

export class VaultExistsError extends KithError {
  readonly code = 'VAULT_EXISTS'
  constructor(dir: string) {
    super(`a vault already lives in ${dir}; refusing to overwrite its keys`, { dir })
  }
}

export class VaultNotInitializedError extends KithError {
  readonly code = 'VAULT_NOT_INITIALIZED'
  constructor(dir: string) {
    super(`no vault in ${dir}; run 'kith vault init' first`, { dir })
  }
}

export class PassphraseError extends KithError {
  readonly code = 'WRONG_PASSPHRASE'
  constructor(reason: 'wrong' | 'missing') {
    super(
      reason === 'missing'
        ? 'this vault key is sealed with a passphrase; pass --passphrase-file'
        : 'the passphrase does not open this vault key',
      { reason },
    )
  }
}

/** Fewer guardians than the threshold: the vault cannot be split yet. */
export class NotEnoughGuardiansError extends KithError {
  readonly code = 'NOT_ENOUGH_GUARDIANS'
  constructor(
    readonly have: number,
    readonly need: number,
  ) {
    super(`${have} guardian(s) so far; a ${need}-of-n vault needs at least ${need} before it can back up`, {
      have,
      need,
    })
  }
}

export class GuardianExistsError extends KithError {
  readonly code = 'GUARDIAN_EXISTS'
  constructor(peer: string) {
    super(`guardian ${peer.slice(0, 16)}… is already in this vault`, { peer })
  }
}

export class UnknownGuardianError extends KithError {
  readonly code = 'UNKNOWN_GUARDIAN'
  constructor(peer: string) {
    super(`no guardian ${peer.slice(0, 16)}… in this vault`, { peer })
  }
}

export class SourceExistsError extends KithError {
  readonly code = 'SOURCE_EXISTS'
  constructor(name: string) {
    super(`a source named ${name} already exists; pick another --name`, { name })
  }
}

export class UnknownSourceError extends KithError {
  readonly code = 'UNKNOWN_SOURCE'
  constructor(name: string) {
    super(`no source named ${name}`, { name })
  }
}

export class NoSourcesError extends KithError {
  readonly code = 'NO_SOURCES'
  constructor() {
    super("nothing to back up yet; add a source with 'kith vault add-source'")
  }
}

export class NothingToHealError extends KithError {
  readonly code = 'NOTHING_TO_HEAL'
  constructor() {
    super('this vault has no version yet, so there is no chain to choose; run kith vault backup')
  }
}

/** Fewer than W guardians acknowledged a version durably in time. It stays in the outbox. */
export class QuorumNotReachedError extends KithError {
  readonly code = 'QUORUM_NOT_REACHED'
  constructor(
    readonly version: number,
    readonly receipts: number,
    readonly quorum: number,
  ) {
    super(
      `version ${version} reached ${receipts} of the ${quorum} guardians it needs; it stays in the outbox and is retried`,
      { version, receipts, quorum },
    )
  }
}

/** A request id that is not 32 hex digits. */
export class InvalidRequestIdError extends KithError {
  readonly code = 'INVALID_REQUEST_ID'
  constructor(id: string, why?: string) {
    super(
      why === undefined
        ? `'${id}' is not a recovery request id (its first 4 or more hex digits, as 'kith vault status' shows it)`
        : `'${id}': ${why}`,
    )
  }
}

/** A veto of the owner's own finished recovery: nothing to veto, it is being closed instead. */
export class OwnRecoveryError extends KithError {
  readonly code = 'OWN_RECOVERY'
  constructor(request: string, finished: string) {
    super(
      `request ${request.slice(0, 8)} is your own recovery, finished ${finished}: nothing to veto; kith closes it at the guardians that still show it (kith vault status)`,
    )
  }
}

/** A drill in which at least one guardian could not prove its share or the newest version. */
export class DrillFailedError extends KithError {
  readonly code = 'DRILL_FAILED'
  constructor(failed: readonly string[]) {
    super(`the drill failed at ${failed.join(', ')}: see the report above`, { failed: failed.length })
  }
}

/** A veto no guardian received: the request it names can still be approved. */
export class VetoUndeliveredError extends KithError {
  readonly code = 'VETO_UNDELIVERED'
  constructor() {
    super('no guardian received the veto; call your guardians now and tell them not to approve')
  }
}

/**
 * Another coordinator took this vault over (a recovery with --resume elsewhere), proven by the vault's
 * own signed roster at a newer epoch. This node must stop: two live copies of one Lightning node lose
 * channels.
 */
export class FencedError extends KithError {
  readonly code = 'FENCED'
  constructor(guardian: string, epoch: number) {
    super(
      `this node was replaced: ${guardian} holds the vault's epoch ${epoch}, which this node did not sign (a recovery took the vault over, or the owner chose another copy's chain with kith vault heal). STOP THIS NODE NOW and keep it stopped; run only the other one`,
      { guardian, epoch },
    )
  }
}

/**
 * A backup that could not read one source or more (each said on its own line before this one): what
 * could be read was stored (`stored`, the version that holds it), and each other source stays as its
 * last good copy, or none. The exit is still a failure: a source is not being backed up.
 */
export class SourceNotReadError extends KithError {
  readonly code = 'SOURCE_NOT_READ'
  constructor(sources: readonly { source: string; code: string }[], stored: number | undefined) {
    super(
      `${sources.length} source(s) not backed up: ${sources.map((s) => `${s.source} [${s.code}]`).join(', ')}; ${
        stored === undefined
          ? 'no other source could be read, so nothing was stored'
          : `the others are in version ${stored}`
      }: fix each as its line says, then run kith vault backup again`,
      { sources: sources.length, ...(stored !== undefined ? { stored } : {}) },
    )
  }
}
