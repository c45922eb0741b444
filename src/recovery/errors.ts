/** Errors of a recovery (docs/troubleshooting.md). Messages say what to do; none carries a secret. */
import { KithError } from '../errors.js'

/** Fewer guardians answered than it takes to be sure the newest committed version was seen. */
export class PossiblyStaleError extends KithError {
  readonly code = 'POSSIBLY_STALE'
  constructor(
    readonly answered: number,
    readonly needed: number,
    readonly version: number,
    readonly tolerate: number,
  ) {
    super(
      `only ${answered} guardian(s) answered; assuming up to ${tolerate} of them may lie or be rolled back, ${needed} are needed to be sure version ${version} is the newest committed one. Restoring stale Lightning channel state can hand your channel funds to your peers: bring more guardians online, or pass --accept-stale if you know it is the newest`,
      { answered, needed, version, tolerate },
    )
  }
}

/** A newer version is proven to exist, but no answering guardian that approved serves its data. */
export class VersionUnavailableError extends KithError {
  readonly code = 'NEWEST_UNAVAILABLE'
  constructor(
    readonly version: number,
    committed: boolean,
    holders: readonly string[],
    fallback: number,
  ) {
    const who = holders.length > 0 ? `it is held by ${holders.join(', ')}` : 'no answering guardian holds it'
    const older =
      fallback > 0
        ? `, or restore version ${fallback} on purpose with --version ${fallback} (stale: your peers may take the channels)`
        : ''
    super(
      `version ${version} is the newest${committed ? ' committed' : ''} version, but its data cannot be had: ${who}. Bring them online and have them approve${older}`,
      { version, committed, holders: holders.length, fallback },
    )
  }
}

/** `--version N` asked for a version no approving guardian still keeps. */
export class VersionNotFoundError extends KithError {
  readonly code = 'VERSION_NOT_FOUND'
  constructor(version: number) {
    super(
      `no guardian that approved still keeps version ${version}; retention keeps the newest 30 and daily and weekly ones`,
      {
        version,
      },
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

/**
 * The restored database is older than the node's last state, and could be neither renamed nor deleted:
 * it is still under its real name. Louder than the failure that made it stale, which it carries.
 */
export class StaleDatabaseLeftError extends KithError {
  readonly code = 'STALE_DATABASE_LEFT'
  constructor(path: string, error: string, cause: unknown) {
    const why =
      cause instanceof KithError ? `${cause.message} [${cause.code}]` : 'its journal could not be replayed'
    super(
      `the restored ${path} is OLDER than your node's last state (${why}), and could be neither renamed nor deleted (${error}): delete it yourself before anything else, and never start lightningd on it`,
      { path, error },
      { cause },
    )
  }
}

/**
 * A journal's entries up to the newest proven position could not all be had (or chained). The code
 * keeps the journal's historical name, stream.
 */
/** Two different entries at the newest position, each held by as many guardians, each a complete chain. */
export class JournalForkedError extends KithError {
  readonly code = 'STREAM_FORKED'
  constructor(journal: string, position: number, guardians: readonly string[]) {
    super(
      `the ${journal} journal has two different entries at transaction ${position}, each proved by as many guardians (${guardians.join(', ')}): two writers ran, or a rewind reached nobody twice. Nothing was applied beyond the snapshot; stop every copy of the node and ask for help before starting one`,
      { journal, position, guardians: guardians.join(',') },
    )
  }
}

export class JournalIncompleteError extends KithError {
  readonly code = 'STREAM_INCOMPLETE'
  constructor(journal: string, missing: number, target: number) {
    super(
      `the ${journal} journal's entries from ${missing} to ${target} could not be had from the approving guardians; nothing was written over the snapshot's state beyond what could be checked. Bring more guardians online and run the recovery again`,
      { journal, missing, target },
    )
  }
}

/** --resume while the old node was heard recently, without the operator's word that it is stopped. */
export class OldNodeRecentError extends KithError {
  readonly code = 'OLD_NODE_RECENT'
  constructor(guardians: number, ago: string) {
    super(
      `your old node was last heard by ${guardians} guardian(s) ${ago}: it may still be running, and two nodes on one channel state lose the channels. Stop it for good (lightningd and kith on that machine), then run again with --old-node-stopped`,
      { guardians },
    )
  }
}

/** `--paper-share` names a file that holds no valid paper share. */
export class InvalidPaperShareError extends KithError {
  readonly code = 'INVALID_PAPER_SHARE'
  constructor(reason: string) {
    super(`the paper share file is not usable: ${reason}`, { reason })
  }
}
