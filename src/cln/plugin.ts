/**
 * The heart of kith-cln: one `db_write` at a time, under CLN's version rules (rules.ts). Each
 * transaction becomes a journal entry (its statements, encrypted, signed by the writer key), sent to
 * every guardian and kept in the writer's log meanwhile; lightningd hears `continue` once the log has
 * it and W guardians hold it durably. When W cannot be reached it keeps trying for the hold time,
 * alerting at once (an alert that fails is said in lightningd's log), then refuses: lightningd stops
 * before committing anything unreplicated. After lost writes (or with no base) it asks the key-holding process for a snapshot and
 * adopts its committed mark: it never holds the vault key, a data key or a passphrase.
 */
import { thrownText } from '../errors.js'
import { makeEntry } from '../journal/entry.js'
import type { LocalLog } from '../journal/local-log.js'
import type { AppendOutcome, JournalFailure } from '../p2p/journal-writer.js'
import type { JournalMark } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { classify } from './rules.js'

export interface PluginDeps {
  readonly vaultId: Uint8Array
  readonly journal: string
  readonly journalKey: Uint8Array
  readonly sign: (message: Uint8Array) => Uint8Array
  readonly log: LocalLog
  /** W: how many guardians must hold an entry. */
  readonly quorum: () => number
  readonly append: (
    position: number,
    bytes: Uint8Array,
    quorum: number,
    signal: AbortSignal,
  ) => Promise<AppendOutcome>
  /** The newest committed version's mark for this journal (undefined: none yet). */
  readonly committedMark: () => JournalMark | undefined
  /** Ask for a snapshot reaching `position` (the snapshot request file): `kith vault watch` or backup answers. */
  readonly requestSnapshot: (position: number) => Promise<void>
  /** Whether the request is still there: it is deleted once the version's certificate went to the guardians. */
  readonly requestPending: () => boolean
  readonly holdMs: number
  /** A line for lightningd's log and the plugin's own. */
  readonly say: (level: 'info' | 'unusual' | 'broken', line: string) => void
  /** Tell the operator now (webhook, command), beside the log; the deliveries that failed, as lines. */
  readonly alert: (reason: string) => Promise<readonly string[]>
  /** Why this node must stop, if a takeover of the vault was proven here (by this plugin or its coordinator). */
  readonly fenced: () => string | undefined
  /**
   * Guardians refused an entry as from a replaced coordinator: ask them for the proof (the vault's newer
   * roster), record it for the node's other kith processes, and say why this node must stop; undefined
   * when none proves it (a bare refusal could be a lie).
   */
  readonly proveFence: (refusals: readonly JournalFailure[]) => Promise<string | undefined>
}

/** Refusal codes that may mean another machine took the vault over (coordinator/fence.ts). */
const FENCE_REFUSALS: ReadonlySet<string> = new Set(['FENCED', 'STALE_EPOCH'])

/** A refusal: lightningd gets an error and stops without committing. */
export class Refusal extends Error {}

export class ClnPlugin {
  constructor(private readonly d: PluginDeps) {}

  /** Replicate one transaction; resolves when lightningd may commit it, throws Refusal when it must not. */
  async dbWrite(dataVersion: number, writes: readonly string[]): Promise<void> {
    // a node whose vault was taken over must not commit another transaction: not even this one
    const fenced = this.d.fenced()
    if (fenced !== undefined) {
      this.d.say('broken', `${fenced}. Refusing: lightningd stops`)
      throw new Refusal(fenced)
    }
    const log = this.d.log
    let tip = log.tip()
    let newest = log.newest()
    let action =
      tip === undefined
        ? { kind: 'base' as const, position: dataVersion }
        : classify(tip.position, newest?.position === tip.position, dataVersion)
    if (action.kind === 'halt') {
      this.d.say(
        'broken',
        `data_version ${dataVersion} is lower than the replicated ${action.last}: this database went back in time (a stale copy?). Refusing: lightningd must stop.`,
      )
      throw new Refusal(`data_version ${dataVersion} is lower than ${action.last}`)
    }
    if (action.kind === 'gap' || action.kind === 'base') {
      // lightningd's database stands at the transaction before this one while the hook waits
      const mark = await this._base(
        action.position - 1,
        action.kind === 'gap'
          ? `transactions ${action.last + 1} to ${action.position - 1} were never replicated`
          : 'the journal has no snapshot to start from',
      )
      log.setBase({ position: mark.position, hash: mark.hash })
      tip = log.tip()!
      newest = log.newest()
      action = classify(tip.position, false, dataVersion)
      if (action.kind !== 'append')
        throw new Refusal(
          `after a new snapshot at ${mark.position}, data_version ${dataVersion} still does not follow`,
        )
    }
    // here the log has a tip: its own, or the base just adopted
    const prev = action.kind === 'rewind' ? newest!.prev : tip!.hash
    if (action.kind === 'rewind')
      this.d.say('info', `transaction ${action.position} was not committed: replacing it`)
    const entry = makeEntry({
      vaultId: this.d.vaultId,
      journal: this.d.journal,
      position: action.position,
      prev,
      plaintext: new TextEncoder().encode(JSON.stringify(writes)),
      journalKey: this.d.journalKey,
      sign: this.d.sign,
    })
    // sent first, then kept in the writer's log while it is on its way (the log's durable write overlaps
    // the guardians' round trip); lightningd hears `continue` only once both are done. A log write that
    // fails leaves at most an entry on guardians that lightningd never commits, which the next write at
    // that position replaces (same predecessor), as after a crash between the two.
    const stop = new AbortController()
    const replicated = this._replicate(entry.position, entry.bytes, stop.signal)
    // it may fail before it is awaited below (a database error in the first turn): never unhandled
    replicated.catch(() => undefined)
    try {
      // the sends go out on the event loop's turn: the log's write must not hold them back
      await new Promise((r) => setImmediate(r))
      log.put({ position: entry.position, prev: entry.prev, hash: entry.hash, bytes: entry.bytes })
    } catch (err) {
      // refused: no more tries, nor alerts, for a transaction lightningd will not commit
      stop.abort()
      throw err
    }
    await replicated
  }

  /**
   * The committed mark at `need` (where lightningd's database stands): the newest one if it is there;
   * otherwise a snapshot request, then a look every clnMarkPoll until the hold time is over. No mark by
   * then: one alert and a refusal (lightningd stops; after a backup by hand, its next start adopts it).
   */
  private async _base(need: number, why: string): Promise<JournalMark> {
    const deadline = Date.now() + this.d.holdMs
    const look = (): JournalMark | undefined => {
      const mark = this.d.committedMark()
      if (mark === undefined || mark.position < need) return undefined
      if (mark.position > need) {
        // only something else writing lightningd's database could put a snapshot ahead of it
        const line = `a committed snapshot (transaction ${mark.position}) is ahead of lightningd's transaction ${need}: refusing`
        this.d.say('broken', line)
        throw new Refusal(line)
      }
      return mark
    }
    const now = look()
    if (now !== undefined) return now
    await this.d.requestSnapshot(need).catch((err: unknown) => {
      throw new Refusal(`the snapshot request could not be written: ${thrownText(err)}`)
    })
    this.d.say('unusual', `${why}: asked kith vault watch for a new snapshot (a snapshot request)`)
    for (;;) {
      const pause = Math.min(duration('clnMarkPoll'), Math.max(0, deadline - Date.now()))
      await new Promise((r) => setTimeout(r, pause))
      // committed is not enough: guardians take an entry past the gap once the version's certificate
      // reached them, which the answering backup sends before it deletes the request
      const mark = look()
      if (mark !== undefined && (!this.d.requestPending() || Date.now() >= deadline)) {
        this.d.say('info', `a new snapshot at transaction ${need} is committed: lightningd goes on`)
        return mark
      }
      if (Date.now() >= deadline) break
    }
    const line = `no snapshot came within the hold time (${why}): is kith vault watch running? Run kith vault backup (it asks for your passphrase), then start lightningd again`
    this.d.say('broken', line)
    await this._alert(`${why}; no snapshot came within the hold time`)
    throw new Refusal(line)
  }

  /**
   * Alert the operator; an alert that did not go out is said in lightningd's log, which may be the only
   * place left to see that lightningd is held.
   */
  private async _alert(why: string): Promise<void> {
    const failed = await this.d
      .alert(why)
      .catch((err: unknown) => [`the alert itself failed: ${thrownText(err)}`])
    for (const f of failed)
      this.d.say('broken', `the operator's alert was not delivered (${f}); lightningd is held all the same`)
  }

  /** Send until W hold it, the hold time is over (Refusal), or `stop` (the transaction was refused). */
  private async _replicate(position: number, bytes: Uint8Array, stop: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.d.holdMs
    let alerted = false
    let best: AppendOutcome = { acks: 0, failures: [] }
    for (;;) {
      const w = this.d.quorum()
      const left = Math.max(1, deadline - Date.now())
      const tried = AbortSignal.any([stop, AbortSignal.timeout(Math.min(left, duration('clnAppend')))])
      const outcome = await this.d.append(position, bytes, w, tried)
      if (stop.aborted) return
      if (outcome.acks >= w) {
        if (alerted)
          this.d.say(
            'info',
            `transaction ${position} replicated to ${outcome.acks} guardians: lightningd goes on`,
          )
        return
      }
      // refused as replaced, with the vault's proof: stop now, not after the hold time
      const refusals = outcome.failures.filter((f) => f.code !== undefined && FENCE_REFUSALS.has(f.code))
      if (refusals.length > 0) {
        const fence = await this.d.proveFence(refusals)
        if (fence !== undefined) {
          this.d.say(
            'broken',
            `${fence}. Refusing transaction ${position}: lightningd stops before committing it`,
          )
          await this._alert(`this node was replaced: ${fence}`)
          throw new Refusal(fence)
        }
      }
      // a retry cut short by the deadline says less than the try before it: report the most seen
      if (outcome.acks >= best.acks) best = outcome
      const why = `transaction ${position} reached ${best.acks} of the ${w} guardians it needs${best.failures.length ? ` (${best.failures.map((f) => `${f.label}: ${f.error}`).join('; ')})` : ''}`
      if (!alerted) {
        alerted = true
        this.d.say(
          'broken',
          `${why}; lightningd waits up to ${Math.round(this.d.holdMs / 1000)} s, then stops`,
        )
        await this._alert(why)
      }
      if (Date.now() >= deadline) {
        this.d.say('broken', `${why}; refusing: lightningd stops before committing it`)
        throw new Refusal(why)
      }
      const pause = Math.min(duration('clnRetry'), Math.max(0, deadline - Date.now()))
      await new Promise((r) => setTimeout(r, pause))
    }
  }
}
