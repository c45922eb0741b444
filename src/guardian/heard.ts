/**
 * When a guardian last heard from a vault's coordinator (a push, a roster, a certificate, a drill, a
 * status probe) and from its live-database plugin (a journal's entries). A recoverer is told (freshness
 * message, fields 4 and 5): "your old node was last heard 2 minutes ago" is what stops an operator from
 * running two nodes on one channel state. Kept in memory at every contact, written down at most once
 * per heardWrite, so a node's payments cost no extra write.
 */
import { toHex } from '../crypto/bytes.js'
import { duration } from '../time/durations.js'
import type { GuardianContext } from './context.js'

const written = new WeakMap<GuardianContext, Map<string, number>>()

/** The vault's coordinator (or its plugin) was heard now. */
export function noteHeard(ctx: GuardianContext, vaultId: Uint8Array, who: 'coordinator' | 'plugin'): void {
  let last = written.get(ctx)
  if (last === undefined) {
    last = new Map()
    written.set(ctx, last)
  }
  const key = `${who}:${toHex(vaultId)}`
  const now = ctx.now()
  if (now - (last.get(key) ?? 0) < duration('heardWrite')) return
  last.set(key, now)
  ctx.db.vaults.heard(vaultId, who, now)
}

/** How long ago each was heard, for the freshness answer (absent: never). */
export function heardAgo(
  now: number,
  at: { coordinatorHeardAt: number | null; pluginHeardAt: number | null },
): { coordinatorHeard?: number; pluginHeard?: number } {
  return {
    ...(at.coordinatorHeardAt !== null ? { coordinatorHeard: Math.max(0, now - at.coordinatorHeardAt) } : {}),
    ...(at.pluginHeardAt !== null ? { pluginHeard: Math.max(0, now - at.pluginHeardAt) } : {}),
  }
}
