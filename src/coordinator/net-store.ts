/**
 * Where each guardian is now (docs/format.md §Coordinator database, `guardian_net`): the addresses of the
 * newest signed peer record seen for it (by sequence number; an operator's `update-guardian` counts as
 * one made now), which override the invite's; since when it has not answered; and whether the last
 * contact was direct or through a relay. Composed into CoordinatorStore over the same handle.
 */
import type { SqliteHandle } from '../disk/sqlite.js'

export class NetStore {
  constructor(private readonly sql: SqliteHandle) {}

  /** The sequence number of the newest record kept for a guardian (0: none). */
  seq(peerId: Uint8Array): number {
    const r = this.sql.stmt('SELECT seq FROM guardian_net WHERE peer_id = ?').get(peerId) as
      | { seq: number }
      | undefined
    return r?.seq ?? 0
  }

  /** Keep `addrs` if `seq` is newer than what is kept; true if it was. */
  offer(peerId: Uint8Array, addrs: readonly string[], seq: number, now: number): boolean {
    if (seq <= this.seq(peerId) || addrs.length === 0) return false
    this.sql
      .stmt(
        `INSERT INTO guardian_net (peer_id, addrs, seq, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (peer_id) DO UPDATE SET addrs = excluded.addrs, seq = excluded.seq, updated_at = excluded.updated_at`,
      )
      .run(peerId, JSON.stringify(addrs), seq, now)
    return true
  }

  /** Whether the guardian answered now, and how; the first failure starts its "unreachable since". */
  reached(peerId: Uint8Array, answered: boolean, path: 'direct' | 'relayed' | undefined, now: number): void {
    this.sql
      .stmt(
        `INSERT INTO guardian_net (peer_id, unreachable_since, path) VALUES (?, ?, ?)
         ON CONFLICT (peer_id) DO UPDATE SET
           unreachable_since = CASE WHEN ? THEN NULL ELSE coalesce(unreachable_since, ?) END,
           path = coalesce(?, path)`,
      )
      .run(peerId, answered ? null : now, path ?? null, answered ? 1 : 0, now, path ?? null)
  }
}
