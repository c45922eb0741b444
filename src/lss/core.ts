/**
 * What both signer fronts (LSS, VSS) stand on: requests that write are taken one at a time; each reads
 * the store, says what it writes (statements, store.ts) and what it answers; the writes are replicated as
 * one batch (for kith: one journal entry held by W guardians) before they are applied, and the answer
 * goes out only after both. A batch that cannot be replicated is not applied and the request fails:
 * nothing is answered as durable that is not.
 */
import { KithError, thrownText } from '../errors.js'
import type { PlannedBatch, SignerStore } from './store.js'

/** Make a planned batch durable (W guardians) before it is applied; throws when it cannot. */
export type Replicate = (batch: PlannedBatch) => Promise<void>

/**
 * Most bytes of a batch's statements: what one journal entry carries (journal/entry.ts MAX_PAYLOAD,
 * 8 MiB; lss/ sits beside journal/ and may not import it: test/lss/store.test.ts checks they agree),
 * less room for its framing.
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024 - 64 * 1024

export class BatchTooLargeError extends KithError {
  readonly code = 'BATCH_TOO_LARGE'
  constructor(bytes: number, most: number) {
    super(
      `a signer's write of ${Math.ceil(bytes / 1024)} KiB is larger than kith replicates in one step (${Math.floor(most / 1024)} KiB, about half that in values); nothing was stored`,
      { bytes, most },
    )
  }
}

export class NotDurableError extends KithError {
  readonly code = 'NOT_DURABLE'
  constructor(reason: string) {
    super(`not stored: ${reason}`, { reason })
  }
}

/** What a writing request decided: the statements it writes (none: nothing changes) and its answer. */
export interface Decision<T> {
  readonly writes: readonly string[]
  readonly answer: T
}

export class SignerCore {
  private turn: Promise<unknown> = Promise.resolve()

  constructor(
    readonly store: SignerStore,
    private readonly replicate: Replicate,
    readonly maxBatchBytes = MAX_BATCH_BYTES,
  ) {}

  /** Run `decide` alone; replicate and apply what it writes; then give its answer. */
  exclusive<T>(decide: (store: SignerStore) => Decision<T>): Promise<T> {
    const run = this.turn.then(() => this._commit(decide))
    this.turn = run.catch(() => undefined)
    return run
  }

  private async _commit<T>(decide: (store: SignerStore) => Decision<T>): Promise<T> {
    const d = decide(this.store)
    if (d.writes.length === 0) return d.answer
    const batch = this.store.plan(d.writes)
    const bytes = batch.statements.reduce((n, s) => n + s.length + 3, 2)
    if (bytes > this.maxBatchBytes) throw new BatchTooLargeError(bytes, this.maxBatchBytes)
    try {
      await this.replicate(batch)
    } catch (err) {
      throw new NotDurableError(thrownText(err))
    }
    this.store.apply(batch)
    return d.answer
  }
}
