/**
 * What both signer fronts (LSS, VSS) stand on: requests that write are taken one at a time; each reads
 * the store, says what it writes (statements, store.ts) and what it answers; the writes are replicated as
 * one batch (for kith: one journal entry held by W guardians) before they are applied, and the answer
 * goes out only after both. A batch that cannot be replicated is not applied and the request fails:
 * nothing is answered as durable that is not.
 *
 * A write larger than one entry carries (an ldk-node wallet's network graph is tens of MiB) goes as
 * several: its large values are first staged, part by part, in the store's `staged` table (entries that
 * change nothing a client reads), then one last entry writes everything, taking those values from the
 * stage, and empties it. Each entry is replicated and applied in turn; the answer waits for the last.
 */
import { KithError, thrownText } from '../errors.js'
import type { PlannedBatch, SignerStore } from './store.js'

/** Make a planned batch durable (W guardians) before it is applied; throws when it cannot. */
export type Replicate = (batch: PlannedBatch) => Promise<void>

/**
 * Most bytes of one entry's statements. A journal entry may carry 8 MiB (journal/entry.ts MAX_PAYLOAD;
 * lss/ sits beside journal/ and may not import it: test/lss/store.test.ts checks this is below it), but a
 * recovering machine fetches entries as a stranger, and a guardian holds at most 4 MiB for all strangers'
 * replies together (guardian/limits.ts STRANGER_READ_BUDGET): an entry of 2 MiB, in a reply of at most
 * 1 MiB more, always fits. Larger writes are staged over several entries.
 */
export const MAX_BATCH_BYTES = 2 * 1024 * 1024 - 64 * 1024

/** Most bytes of values one write may carry, staged over several entries (a VSS body's limit). */
export const MAX_WRITE_BYTES = 32 * 1024 * 1024

/** A value literal of at most this much hex is never staged: its reference would be as long. */
const STAGE_OVER_HEX = 96
/** Characters of a staged value's reference, `(SELECT data FROM staged WHERE id = n)`, at most. */
const STAGED_REFERENCE_CHARS = 48
/** Hex characters of one staged part (768 KiB of value): parts are packed into entries below the budget. */
const PART_HEX = 1536 * 1024
/** A value as the store's statements write it (store.ts): nothing else in them looks like this. */
const VALUE_LITERAL = /X'([0-9a-f]*)'/g

export class BatchTooLargeError extends KithError {
  readonly code = 'BATCH_TOO_LARGE'
  constructor(bytes: number, most: number) {
    super(
      `a signer's write of ${Math.ceil(bytes / 1024)} KiB is larger than kith replicates (${Math.floor(most / 1024)} KiB, about half that in values); nothing was stored`,
      { bytes, most },
    )
  }
}

const _bytes = (statements: readonly string[]) => statements.reduce((n, s) => n + s.length + 3, 2)

/**
 * The entries a write goes as: itself, if it fits one; else its largest values staged part by part (as
 * few as make the rest fit), then the write taking them from the stage. Throws BATCH_TOO_LARGE when even
 * that does not fit.
 */
export function stagedEntries(writes: readonly string[], maxEntryBytes: number): string[][] {
  const total = _bytes(writes)
  if (total <= maxEntryBytes) return [[...writes]]
  if (total > 2 * MAX_WRITE_BYTES + 64 * 1024) throw new BatchTooLargeError(total, 2 * MAX_WRITE_BYTES)
  // every value literal, by the write it is in and its place there; the largest staged first
  const literals = writes.flatMap((w, write) =>
    [...w.matchAll(VALUE_LITERAL)].map((m, nth) => ({ write, nth, hex: m[1]! })),
  )
  const chosen = new Map<string, number>()
  let rest = total + 'DELETE FROM staged'.length + 3
  for (const l of [...literals].sort((a, b) => b.hex.length - a.hex.length)) {
    if (rest <= maxEntryBytes || l.hex.length <= STAGE_OVER_HEX) break
    chosen.set(`${l.write}/${l.nth}`, chosen.size + 1)
    rest -= l.hex.length - STAGED_REFERENCE_CHARS
  }
  if (rest > maxEntryBytes) throw new BatchTooLargeError(total, maxEntryBytes)
  // what an earlier write left staged (it failed half way) goes first
  const staging: string[] = ['DELETE FROM staged']
  const last = writes.map((w, write) => {
    let nth = 0
    return w.replace(VALUE_LITERAL, (literal, hex: string) => {
      const id = chosen.get(`${write}/${nth++}`)
      if (id === undefined) return literal
      for (let at = 0; at < hex.length; at += PART_HEX) {
        const part = hex.slice(at, at + PART_HEX)
        staging.push(
          at === 0
            ? `INSERT INTO staged (id, data) VALUES (${id}, X'${part}')`
            : `UPDATE staged SET data = CAST(data || X'${part}' AS BLOB) WHERE id = ${id}`,
        )
      }
      return `(SELECT data FROM staged WHERE id = ${id})`
    })
  })
  last.push('DELETE FROM staged')
  // the staging statements packed in order into as few entries as fit, then the write itself
  const entries: string[][] = [[]]
  for (const st of staging) {
    if (_bytes([...entries.at(-1)!, st]) > maxEntryBytes) entries.push([])
    entries.at(-1)!.push(st)
  }
  entries.push(last)
  return entries
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

  /** Resolves once the write in progress (if any) is done: before the store is closed. */
  idle(): Promise<void> {
    return this.turn.then(() => undefined)
  }

  /** Run `decide` alone; replicate and apply what it writes; then give its answer. */
  exclusive<T>(decide: (store: SignerStore) => Decision<T>): Promise<T> {
    const run = this.turn.then(() => this._commit(decide))
    this.turn = run.catch(() => undefined)
    return run
  }

  private async _commit<T>(decide: (store: SignerStore) => Decision<T>): Promise<T> {
    const d = decide(this.store)
    if (d.writes.length === 0) return d.answer
    for (const statements of stagedEntries(d.writes, this.maxBatchBytes)) {
      const batch = this.store.plan(statements)
      try {
        await this.replicate(batch)
      } catch (err) {
        throw new NotDurableError(thrownText(err))
      }
      this.store.apply(batch)
    }
    return d.answer
  }
}
