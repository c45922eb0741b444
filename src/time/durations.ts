/**
 * Every duration kith waits on, in one table: network deadlines, polls and retries, idle sweeps,
 * intervals, expiries and the deferred work of a guardian. Code reads an entry with duration() where it
 * waits, never into a constant at import, so tests shorten waits with setDurations() (in-process) or
 * KITH_DURATIONS (spawned processes) instead of sleeping through them. Sizes and counts are not here.
 * The table in force is this module's only state. It must never take an override it does not
 * understand (a typo fails loudly), and no caller may keep a value past the wait it read it for.
 */
import { DurationsError } from './errors.js'
import { DAY, durationFromText, HOUR, MINUTE, SECOND } from './units.js'

/** The defaults: each entry says what waits, and why that long. */
export const DEFAULT_DURATIONS = Object.freeze({
  // -- network deadlines: one step with one peer --
  /** Dialing a peer and opening a stream: a live peer answers in far less; a dead one costs no more. */
  dial: 10 * SECOND,
  /** One message read or written on a kith stream (a push gets it per message, not for the stream). */
  step: 30 * SECOND,
  /** A push step that names fellows: the guardian takes the chunks from them first, for minutes. */
  relayStep: 10 * MINUTE,
  /** How much before relayStep runs out a guardian stops taking from fellows, to answer in time. */
  relayHeadroom: 30 * SECOND,
  /**
   * One chunk a guardian takes from a fellow (in a striped push, once its own stripe is in): a slow
   * fellow costs time, the coordinator sends the rest.
   */
  fellowChunk: 15 * SECOND,
  /**
   * A striped push whose chunks stopped coming (from the coordinator and every fellow alike): the
   * guardian asks the coordinator for what its fellows did not give. A fellow that holds back costs this
   * (checked this often: up to twice it). Also the least the others' stripes are waited for once the
   * guardian's own is in (as long again as the own one took, at least this).
   */
  stripeStall: 10 * SECOND,
  /** A guardian's whole catch-up from a fellow (head, manifest, chunks); the next round tries again. */
  catchUp: MINUTE,
  /** Each network phase of a backup (rosters, each version's push): the default of --timeout. */
  push: MINUTE,
  /** Delivering a commit certificate: the version is committed already, so it adds little to a backup. */
  certify: 5 * SECOND,
  /** Asking a guardian for the roster that proves a takeover, or its head after an empty backup. */
  fenceProof: 5 * SECOND,
  /** `kith vault status` asking each guardian: a status answers now, a silent guardian is named. */
  probe: 3 * SECOND,
  /** Asking a guardian where the vault's other guardians are now. */
  askAddresses: 5 * SECOND,
  /** A veto to one guardian: long enough for a guardian behind a relay, each guardian at once. */
  veto: 15 * SECOND,
  /** Telling one guardian a recovery is done (each at once), as a veto. */
  recoveryDone: 15 * SECOND,
  /** Handing the guardians the kith release file after a backup (each at once): ~120 MiB on a home uplink. */
  releaseOffer: 10 * MINUTE,
  /** One guardian's drill answer: it reads and hashes the sampled chunks first. */
  drill: 15 * SECOND,
  /** A recovering machine asking a guardian what it knows of the newest version. */
  askFreshness: 10 * SECOND,
  /** One poll of one guardian for a recovery request's state (and, once released, its share). */
  askRecovery: 15 * SECOND,
  /** A journal's head or entries from one guardian during a restore. */
  askJournal: 15 * SECOND,
  /** One chunk of a restore (4 MiB at most, through a relay at worst). */
  restoreChunk: 30 * SECOND,
  /** A guardian behind NAT dialing one of its relays again. */
  relayCheck: 10 * SECOND,
  /** A relay reservation being made (libp2p's circuit relay transport). */
  reservationCompletion: 10 * SECOND,
  /**
   * What a connection's ping (libp2p's connection monitor, every twice this) may take before the
   * connection is closed as dead: as long as a step, since a ping waits behind the chunks a push queued.
   */
  connectionPing: 30 * SECOND,
  /** A new connection's handshake, and how long a half-open one counts against its address. */
  connectionUpgrade: 5 * SECOND,
  /** Closing a stream after an error reply: the peer may be gone. */
  streamClose: 2 * SECOND,
  /** A signer's storage server (LSS, VSS) letting its calls finish before it closes their connections. */
  signerServerClose: 2 * SECOND,
  /** A refused peer reading the error and resetting, before the stream is reset for it. */
  refusedGrace: SECOND,
  /** One try of a CLN transaction's append to the guardians (less if the hold ends sooner). */
  clnAppend: 15 * SECOND,
  /** A webhook, ntfy post or alert command: an alert that hangs must not hold the daemon. */
  notify: 10 * SECOND,
  /** The local page reading a request's headers: a browser sends them at once. */
  pageHeaders: 10 * SECOND,
  /** The local page reading a whole request (a form is a few hundred bytes). */
  pageRequest: 15 * SECOND,
  /** `kith guardian open` checking that the daemon's page answers. */
  pageCheck: 3 * SECOND,

  // -- polls and retries --
  /** Quiet after a source's last change before `kith vault watch` backs up (a write comes in bursts). */
  watchDebounce: 2 * SECOND,
  /** How often a watch re-checks its sources and retries the guardians that lag. */
  watchRetry: 30 * SECOND,
  /** A fellow not yet taking a striped push (NOT_HELD) asked again for a chunk of its stripe. */
  stripeRetry: 200,
  /** Between two polls of a guardian by `kith recover` (each poll is one small request). */
  recoveryPoll: SECOND,
  /** Between two tries of a CLN transaction that has not reached W guardians yet. */
  clnRetry: SECOND,
  /**
   * Between two looks of kith-cln for the committed snapshot it asked for (lost writes): one read of the
   * vault's database; a running `kith vault watch` answers within a backup, seconds.
   */
  clnMarkPoll: 250,
  /** How long lightningd waits for W guardians before the plugin refuses: --hold's default. */
  clnHold: MINUTE,
  /** How long a SQLite statement waits on another connection's lock before SQLITE_BUSY. */
  sqliteBusy: 5 * SECOND,
  /** Between two tries of a lock another process holds. */
  lockPoll: 50,
  /**
   * A refused taker waiting for the lock's new holder to write its pid, which it does right after taking
   * the lock (disk/lock.ts): only a holder stalled between those two steps makes it wait this long.
   */
  lockHolder: SECOND,

  // -- idle sweeps --
  /** A push session waiting for the coordinator's next offer; the coordinator reopens one closed. */
  pushSessionIdle: 5 * MINUTE,
  /** A fetch session waiting for the next request: as long as `step`, so it holds no more than a stream. */
  fetchSessionIdle: 30 * SECOND,
  /** A journal writer's stream quiet between transactions (a quiet node); it reopens when it writes. */
  journalIdle: 6 * HOUR,
  /** A stranger's connection that opens no kith stream: it holds a slot for nothing. */
  idleStranger: 5 * SECOND,

  // -- intervals --
  /** How often a guardian compares heads with the others: --anti-entropy's default. */
  antiEntropy: MINUTE,
  /** How often a guardian behind NAT checks it is connected to its relays. */
  relayKeepAlive: 10 * SECOND,
  /** How often kith-cln writes its metrics file. */
  statsFlush: 10 * SECOND,
  /**
   * How often a guardian writes down that it heard from a vault's coordinator or its plugin (one write a
   * minute at most, whatever the payments): what a recoverer is told of the old node is this fresh.
   */
  heardWrite: MINUTE,
  /** How often the local page reloads itself (not while the human types a code). */
  pageRefresh: 15 * SECOND,
  /** After a countdown on the page ends, before it reloads: the daemon has released by then. */
  countdownReload: 2 * SECOND,

  // -- expiries and windows --
  /** A login link of `kith guardian open`, unused. */
  loginLink: 10 * MINUTE,
  /** A browser's session on the local page (in memory; a restart logs out). */
  pageSession: 12 * HOUR,
  /** Closed recovery requests kept before they are pruned (the audit log keeps the facts). */
  closedRequestRetention: 30 * DAY,
  /** An approved request lives at least this long past its release, whatever its lifetime had left. */
  approvedRequestLife: DAY,
  /**
   * A pending recovery request nobody asked after this long gives way to a new one when its network's or
   * its vault's slots are full (a recoverer asks every second; a laptop may sleep through a phone call).
   */
  unattendedRequest: 10 * MINUTE,
  /** A network whose recovery request the human denied: the denial counts against it this long. */
  deniedNetworkHold: HOUR,
  /**
   * An old node heard this recently by a guardian may still be running: \`kith recover --resume\` takes
   * the operator's word that it is stopped before it restores channel state (a CLN node writes its
   * database at every block, about every 10 minutes; \`vault watch\` probes its guardians more often).
   */
  oldNodeRecent: HOUR,
  /** A vault whose roster dropped this guardian stays this long, so a mistake can be undone. */
  removalGrace: 7 * DAY,
  /** A relay reservation's lifetime (libp2p's default): its holder renews it 5 minutes before the end. */
  reservationTtl: 2 * HOUR,
  /**
   * How long a stranger holds a relay reservation before it gives its slot up to a stranger that finds
   * the pool full (p2p/relay-terms.ts): long enough to make and send an invite, not a lease for life.
   */
  strangerReservationHold: HOUR,
  /**
   * A relayed connection's life, after which the relay cuts it: a whole push of an invite's default
   * quota (1 GiB) at about 1.2 Mbit/s, a slow home uplink. Who still needs it dials again.
   */
  relayedConnection: 2 * HOUR,
  /** How long `kith recover` waits for approvals: --wait's default (friends sleep). */
  recoveryWait: DAY,
  /** A watch round waiting for another process's hold on the vault (a backup, another command). */
  lockWait: 10 * MINUTE,
  /**
   * A command that changes the vault, waiting for another process's turn to end (a watch round, another
   * command) before it says VAULT_BUSY: a round is a backup, about a push.
   */
  vaultTurn: 2 * MINUTE,
  /** A guardian unheard this long is alerted on: --silent-after's default. */
  silentGuardian: DAY,
  /** How long an invite stays usable: `kith guardian invite --expires`'s default. */
  inviteExpiry: 7 * DAY,
  /** How long a recovery that got the vault back is reported to the vault's coordinator (its status). */
  recentRecovery: 7 * DAY,
  /** From approval to a share's release, the owner's veto window: --release-delay's default. */
  releaseDelay: DAY,

  // -- a guardian's deferred work (guardian/later.ts) --
  /** A burst's newest head is announced once the pushes are this quiet... */
  announceQuiet: 25,
  /** ...or this long after the burst's first push, at the latest. */
  announceLatest: 250,
  /** Retention runs once the pushes are this quiet (one pass for a burst, not one per push)... */
  retainQuiet: 500,
  /** ...or this long after the burst's first push, at the latest. */
  retainLatest: 5 * SECOND,
})

export type DurationName = keyof typeof DEFAULT_DURATIONS

/**
 * Defaults of flags whose value is written into a record another party relies on (an invite's release
 * delay and expiry, the plugin's hold in its config): the environment never sets them, so a variable left
 * set cannot weaken a vault's veto window for good. A human gives them with the flag.
 */
const _POLICY: ReadonlyMap<string, string> = new Map([
  ['releaseDelay', '--release-delay'],
  ['inviteExpiry', '--expires'],
  ['clnHold', '--hold'],
])

const _known = (name: string): name is DurationName => Object.hasOwn(DEFAULT_DURATIONS, name)

/** The table in force: the defaults with KITH_DURATIONS over them, read at first use. */
let inForce: Record<DurationName, number> | undefined

function _table(): Record<DurationName, number> {
  // a KITH_DURATIONS that does not parse is not kept: every use throws until it is fixed
  inForce ??= { ...DEFAULT_DURATIONS, ...parseDurations(process.env['KITH_DURATIONS'] ?? '') }
  return inForce
}

/** The duration in force for `name`, in ms; read it where the wait starts. */
export function duration(name: DurationName): number {
  const ms = _table()[name]
  // a caller outside TypeScript's view (a test's string) gets a clear error, not a wait of NaN
  if (ms === undefined) throw new TypeError(`unknown duration: ${String(name)}`)
  return ms
}

/** Read KITH_DURATIONS now, so a process fails at its start on a typo, not at its first wait. */
export function checkDurations(): void {
  _table()
}

/**
 * Tests: put `overrides` in force for every wait that starts from now on; returns the function that
 * puts the previous values back. All or nothing: one unknown name or bad value and none is applied.
 */
export function setDurations(overrides: Partial<Record<DurationName, number>>): () => void {
  const entries = Object.entries(overrides)
  for (const [name, ms] of entries) {
    // a name the table does not know would shorten nothing: a typo must not pass as an override
    if (!_known(name)) throw new TypeError(`unknown duration: ${name}`)
    if (typeof ms !== 'number') throw new TypeError(`duration ${name} must be a number of ms`)
    // 0, a negative or NaN would make waits fire at once or never: refused
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`duration ${name} must be > 0 ms, not ${ms}`)
  }
  const table = _table()
  const previous: Partial<Record<DurationName, number>> = {}
  for (const [name, ms] of entries as [DurationName, number][]) {
    previous[name] = table[name]
    table[name] = ms
  }
  return () => {
    Object.assign(table, previous)
  }
}

/**
 * KITH_DURATIONS's text, `name=value,name=value` with values as the CLI's duration flags take them
 * ("500ms", "2s", "1h"), to the overrides it names. Throws DurationsError on an unknown or repeated name
 * and on a value that is not a duration above zero: a typo must never be silently ignored.
 */
export function parseDurations(text: string): Partial<Record<DurationName, number>> {
  const out: Partial<Record<DurationName, number>> = {}
  if (text.trim() === '') return out
  for (const item of text.split(',')) {
    const eq = item.indexOf('=')
    if (eq < 0) throw new DurationsError(item, `"${item.trim()}" is not name=value (e.g. step=2s,dial=500ms)`)
    const name = item.slice(0, eq).trim()
    const value = item.slice(eq + 1).trim()
    if (!_known(name))
      throw new DurationsError(
        name,
        `unknown name "${name}" (known: ${Object.keys(DEFAULT_DURATIONS).join(', ')})`,
      )
    const flag = _POLICY.get(name)
    if (flag !== undefined)
      throw new DurationsError(
        name,
        `${name} is written into what it sets up: give it with ${flag}, not here`,
      )
    if (out[name] !== undefined) throw new DurationsError(name, `"${name}" is given twice`)
    const ms = durationFromText(value)
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0)
      throw new DurationsError(
        name,
        `${name}=${value} is not a duration above zero (try 500ms, 30s, 24h or 7d)`,
      )
    out[name] = ms
  }
  return out
}
