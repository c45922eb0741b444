/**
 * CLN's `db_write` version rules (doc/schemas/hook/db_write.json), as positions of the journal: the
 * hook's `data_version` is +1 per transaction and wraps at 2^32.
 * - +1: append;
 * - equal to the previous: the previous transaction was not committed: replace it (a rewind);
 * - lower: halt (this database went back in time: never replicate it);
 * - higher by more than 1: writes were lost: a new snapshot first.
 */
import { positionOf } from '../journal/local-log.js'

export type WriteAction =
  | { readonly kind: 'append'; readonly position: number }
  | { readonly kind: 'rewind'; readonly position: number }
  | { readonly kind: 'gap'; readonly position: number; readonly last: number }
  | { readonly kind: 'halt'; readonly position: number; readonly last: number }

/**
 * What to do with the transaction at `dataVersion`, given the journal's newest position `last` and
 * whether that position has an entry of its own (false: it is the snapshot's base).
 */
export function classify(last: number, lastIsEntry: boolean, dataVersion: number): WriteAction {
  const position = positionOf(last, dataVersion)
  if (position === last + 1) return { kind: 'append', position }
  // a rewind replaces the newest entry; at the base there is nothing to replace: the snapshot already
  // holds that transaction, so a hook for it again means the database is not what the snapshot was
  if (position === last && lastIsEntry) return { kind: 'rewind', position }
  if (position > last) return { kind: 'gap', position, last }
  return { kind: 'halt', position, last }
}
