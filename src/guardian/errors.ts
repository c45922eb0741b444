/** Errors a guardian raises; most travel back to the peer as an error reply with the same code. */
import { KithError } from '../errors.js'
import { spellDuration } from '../format.js'
import { GUARDIAN_ADVICE as ADVICE } from './advice.js'
import type { SlotFull } from './request-slots.js'
import type { Equivocation } from './store/versions.js'

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
    /** The two signed heads (and manifests) that prove it, to keep and announce. */
    readonly evidence: Equivocation,
  ) {
    super(
      `a different manifest for version ${evidence.version} is already held: two coordinators may be running`,
      { version: evidence.version },
    )
  }
}

/** A push from an epoch older than the vault's current roster. */
export class StaleEpochError extends KithError {
  readonly code = 'STALE_EPOCH'
  constructor(current: number, offered: number) {
    super(`epoch ${offered} is older than the current epoch ${current}`, { current, offered })
  }
}

/** What a vault would store here (its versions and its journals' entries together) is over its quota. */
export class QuotaExceededError extends KithError {
  readonly code = 'QUOTA_EXCEEDED'
  constructor(quota: number, needed: number) {
    super(
      `storing this would take the vault's versions and journals to ${needed} bytes, over its quota of ${quota}; nothing was stored`,
      { quota, needed },
    )
  }
}

/** A journal name beyond the number of journals a vault may keep here (guardian/limits.ts). */
export class TooManyJournalsError extends KithError {
  readonly code = 'TOO_MANY_JOURNALS'
  constructor(max: number) {
    super(`the vault already keeps ${max} journals here, as many as it may; nothing was stored`, { max })
  }
}

export class GuardianNotInitializedError extends KithError {
  readonly code = 'GUARDIAN_NOT_INITIALIZED'
  constructor(dir: string) {
    super(`no guardian in ${dir}; run '${ADVICE.init.command(dir)}' first`, { dir })
  }
}

/** A fetch for something this guardian does not hold. */
export class NotHeldError extends KithError {
  readonly code = 'NOT_HELD'
  constructor() {
    super('this guardian does not hold what was asked for')
  }
}

/** A push from a coordinator that a newer roster replaced (a recovered node took the vault over). */
export class FencedError extends KithError {
  readonly code = 'FENCED'
  constructor() {
    super('this coordinator was fenced out: a newer epoch names another coordinator for the vault; stop it')
  }
}

/** No recovery request with this id (or id prefix) is kept here. */
export class UnknownRequestError extends KithError {
  readonly code = 'UNKNOWN_REQUEST'
  constructor(id: string) {
    super(`no recovery request ${id} here; '${ADVICE.requests.command(undefined)}' lists them`, {
      request: id,
    })
  }
}

/** The verification code typed does not match the request's: it was not approved. */
export class WrongCodeError extends KithError {
  readonly code = 'WRONG_CODE'
  constructor(locked = false) {
    super(
      locked
        ? 'the code does not match, too many times: the request is now locked and can never be approved. If it was your friend, they start their recovery again'
        : 'the code does not match any recovery request: nothing was approved. Call your friend back on a number you know and ask them to read it again',
      { locked },
    )
  }
}

/** Two open requests have the code typed (a one-in-a-million coincidence): name the request too. */
export class AmbiguousCodeError extends KithError {
  readonly code = 'AMBIGUOUS_CODE'
  constructor(requests: readonly string[]) {
    super(
      `${requests.length} open requests have this code; approve with the request id your friend reads too: ${ADVICE.approveRequest.command(undefined)} (${requests.join(', ')})`,
      { requests: requests.length },
    )
  }
}

/** A decision on a request that is no longer waiting for one. */
export class RequestClosedError extends KithError {
  readonly code = 'REQUEST_CLOSED'
  constructor(state: string) {
    super(`this recovery request is ${state}; nothing changed`, { state })
  }
}

/** The guardian's disk refused a write (full, over a size limit, or failing); nothing was stored. */
export class StorageFailedError extends KithError {
  readonly code = 'STORAGE_FAILED'
  constructor(sqliteCode: string) {
    super('this guardian could not write to its disk (full or failing); nothing was stored', {
      sqlite: sqliteCode,
    })
  }
}

/** `guardian init` on a data dir that already holds a guardian (running or not): what to do with it. */
export class GuardianDirInUseError extends KithError {
  readonly code = 'GUARDIAN_DIR_IN_USE'
  constructor(dir: string, running: boolean) {
    super(
      `a guardian already lives in ${dir}${running ? ' and runs' : `; start it with '${ADVICE.start.command(dir)}'`}. To change its relays, addresses or notices: '${ADVICE.settings.command(dir)}'`,
      { dir, running },
    )
  }
}

/** `kith guardian settings` was given a value it cannot use; nothing was changed. */
export class InvalidSettingError extends KithError {
  readonly code = 'INVALID_SETTING'
  constructor(option: string, why: string) {
    super(`--${option} ${why}; nothing was changed`, { option })
  }
}

/**
 * guardian.json is there but peer.key is not (a partial restore, a file deleted): the identity is gone,
 * and only `init` makes one. Nothing was changed; a new key would be a guardian no friend knows.
 */
export class GuardianKeyMissingError extends KithError {
  readonly code = 'GUARDIAN_KEY_MISSING'
  constructor(dir: string) {
    super(
      `the guardian in ${dir} has its guardian.json but no peer.key, its identity; nothing was changed. Put peer.key back from where this folder came from: a new one would be a new guardian that your friends' nodes do not know`,
      { dir },
    )
  }
}

/**
 * A change asked by a user other than the one the guardian's folder belongs to: guardian.json would be
 * written as theirs (0600), and the guardian's own user, its daemon, could not read it at its next start.
 */
export class NotGuardianUserError extends KithError {
  readonly code = 'NOT_GUARDIAN_USER'
  constructor(dir: string, owner: string, self: string) {
    super(
      `the guardian in ${dir} belongs to the user ${owner}, and this runs as ${self}: the guardian could not read settings written now, so nothing was changed. Run it as ${owner}: '${ADVICE.settingsAs.command(dir, owner)}'`,
      { dir, owner, self },
    )
  }
}

/** An invite needs an address friends can dial, and none is known yet (the guardian is stopped). */
export class NoInviteAddressError extends KithError {
  readonly code = 'NO_INVITE_ADDRESS'
  constructor(dir: string) {
    super(
      `no address to put in the invite: start the guardian first ('${ADVICE.start.command(dir)}'), or tell it the address friends dial: '${ADVICE.addAnnounce.command(dir)}'`,
    )
  }
}

/** The vault already has as many open recovery requests as it allows (in all, from this peer or address). */
/**
 * A new recovery request found no slot (guardian/request-slots.ts): the requester's own, its network's
 * or the vault's are all held and asked after. Says which, to the person recovering.
 */
export class TooManyRequestsError extends KithError {
  readonly code = 'TOO_MANY_REQUESTS'
  constructor(full: SlotFull, cap: number, giveWayAfter: number) {
    super(
      full === 'requester'
        ? 'this peer already has an open recovery request for this vault; nothing was recorded'
        : full === 'network'
          ? `${cap} recovery requests from your network (its /24 or /64) are open for this vault, or were denied within the hour; nothing was recorded. One that nobody asks after for ${spellDuration(giveWayAfter)} gives way`
          : `all ${cap} places for recovery requests of this vault are taken, each still asked after; nothing was recorded. The guardian's human can deny the requests they do not expect`,
      { full, cap },
    )
  }
}

/** A peer or address asked too often; nothing was recorded. */
export class RateLimitedError extends KithError {
  readonly code = 'RATE_LIMITED'
  constructor(what: string) {
    super(`too many ${what} from this peer or address; nothing was recorded, try again in a minute`, { what })
  }
}

/** A stranger's message would exceed what this guardian holds in memory for strangers at once. */
export class BusyError extends KithError {
  readonly code = 'GUARDIAN_BUSY'
  constructor() {
    super('this guardian is busy with other peers; try again shortly')
  }
}

/** Another guardian daemon is running on this data directory (it holds the lock). */
export class GuardianRunningError extends KithError {
  readonly code = 'GUARDIAN_RUNNING'
  constructor(dir: string, pid: number) {
    super(
      `a guardian${pid > 0 ? ` (pid ${pid})` : ''} is already running on ${dir}; stop it first (one daemon per data directory)`,
      { pid },
    )
  }
}

/** The address this guardian should listen on is taken by another program. */
export class AddressInUseError extends KithError {
  readonly code = 'ADDRESS_IN_USE'
  constructor(listen: readonly string[], dir: string) {
    super(
      `another program already listens on ${listen.join(', ') || 'the port asked for'}; stop it, or give this guardian another port: '${ADVICE.port.command(dir)}'`,
    )
  }
}

/** `kith guardian open` found no page to log in to: the daemon is not running, or runs with --no-web. */
export class PageNotRunningError extends KithError {
  readonly code = 'PAGE_NOT_RUNNING'
  constructor(dir: string, why: { url?: string; listen?: string; error?: string; running?: boolean } = {}) {
    super(
      why.error !== undefined
        ? `your guardian runs, but its page could not start on ${why.listen}: ${why.error}. Restart it with another --web-listen port`
        : why.url !== undefined
          ? `your guardian's page does not answer at ${why.url}: is kith guardian start still running?`
          : why.running === true
            ? `your guardian runs without its page (--no-web): stop it (Ctrl-C where it runs) and start it again without --no-web: '${ADVICE.restart.command(dir)}'`
            : `your guardian is not running: start it with '${ADVICE.start.command(dir)}'`,
      { ...why },
    )
  }
}

/** Something answers where the page should be, but cannot prove it is this guardian's page. */
export class PageNotProvenError extends KithError {
  readonly code = 'PAGE_NOT_PROVEN'
  constructor(url: string, dir: string) {
    super(
      `something answers at ${url}, but it is not your guardian's page (another program has its port): no login link was made. Do not type codes there; stop your guardian and start it again: '${ADVICE.restart.command(dir)}'`,
      { url },
    )
  }
}

/**
 * A kith release file offered to this guardian that it does not keep (docs/format.md §Release files):
 * not a release's name, larger than the cap, or bytes other than the size and SHA-256 offered.
 */
export class ReleaseFileRefusedError extends KithError {
  readonly code = 'RELEASE_FILE_REFUSED'
  constructor(reason: 'name' | 'too-large' | 'room' | 'size' | 'hash' | 'rate') {
    const words = {
      name: 'its name is not a kith release name',
      'too-large': 'it is larger than a guardian keeps',
      room: "the guardian's disk has too little room left for it beside the backups it keeps",
      size: 'its bytes are not the size offered',
      hash: 'its bytes do not have the SHA-256 offered',
      rate: 'this vault offered too many release files lately; try at a later backup',
    }[reason]
    super(`release file not kept: ${words}`, { reason })
  }
}
