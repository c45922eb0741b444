/**
 * The heart of kith-cln: one `db_write` at a time, under CLN's version rules (rules.ts). Each
 * transaction becomes a journal entry (its statements, encrypted, signed by the writer key), kept
 * in the writer's log first, then sent to every guardian; lightningd hears `continue` as soon as W of
 * them hold it durably. When W cannot be reached it keeps trying for the hold time, alerting at once (an
 * alert that fails is said in lightningd's log), then refuses: lightningd stops before committing anything
 * unreplicated.
 */
import { thrownText } from '../errors.js'
import { makeEntry } from '../journal/entry.js'
import type { LocalLog } from '../journal/local-log.js'
import type { AppendOutcome } from '../p2p/journal-writer.js'
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
  /** Take, push and commit a new snapshot version (after lost writes); its mark for this journal. */
  readonly snapshot: () => Promise<JournalMark>
  readonly holdMs: number
  /** A line for lightningd's log and the plugin's own. */
  readonly say: (level: 'info' | 'unusual' | 'broken', line: string) => void
  /** Tell the operator now (webhook, command), beside the log; the deliveries that failed, as lines. */
  readonly alert: (reason: string) => Promise<readonly string[]>
}

/** A refusal: lightningd gets an error and stops without committing. */
export class Refusal extends Error {}

export class ClnPlugin {
  constructor(private readonly d: PluginDeps) {}

  /** Replicate one transaction; resolves when lightningd may commit it, throws Refusal when it must not. */
  async dbWrite(dataVersion: number, writes: readonly string[]): Promise<void> {
    const log = this.d.log
    let tip = log.tip()
    if (tip === undefined)
      throw new Refusal('kith-cln has no snapshot to start from; run `kith cln install-plugin` again')
    let newest = log.newest()
    let action = classify(tip.position, newest?.position === tip.position, dataVersion)
    if (action.kind === 'halt') {
      this.d.say(
        'broken',
        `data_version ${dataVersion} is lower than the replicated ${action.last}: this database went back in time (a stale copy?). Refusing: lightningd must stop.`,
      )
      throw new Refusal(`data_version ${dataVersion} is lower than ${action.last}`)
    }
    if (action.kind === 'gap') {
      this.d.say(
        'unusual',
        `transactions ${action.last + 1} to ${action.position - 1} were never replicated: taking a new snapshot first`,
      )
      const mark = await this.d.snapshot().catch((err: unknown) => {
        throw new Refusal(
          `a new snapshot after lost writes failed: ${err instanceof Error ? err.message : String(err)}`,
        )
      })
      log.setBase({ position: mark.position, hash: mark.hash })
      tip = log.tip()!
      newest = log.newest()
      action = classify(tip.position, false, dataVersion)
      if (action.kind !== 'append')
        throw new Refusal(
          `after a new snapshot at ${mark.position}, data_version ${dataVersion} still does not follow`,
        )
    }
    const prev = action.kind === 'rewind' ? newest!.prev : tip.hash
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
    // in the writer's log before anything leaves: a guardian that is behind is sent it from there
    log.put({ position: entry.position, prev: entry.prev, hash: entry.hash, bytes: entry.bytes })
    await this._replicate(entry.position, entry.bytes)
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

  private async _replicate(position: number, bytes: Uint8Array): Promise<void> {
    const deadline = Date.now() + this.d.holdMs
    let alerted = false
    let best: AppendOutcome = { acks: 0, failures: [] }
    for (;;) {
      const w = this.d.quorum()
      const left = Math.max(1, deadline - Date.now())
      const tried = AbortSignal.timeout(Math.min(left, duration('clnAppend')))
      const outcome = await this.d.append(position, bytes, w, tried)
      if (outcome.acks >= w) {
        if (alerted)
          this.d.say(
            'info',
            `transaction ${position} replicated to ${outcome.acks} guardians: lightningd goes on`,
          )
        return
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
