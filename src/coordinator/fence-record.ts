/**
 * A proven fence, as this node records it (see fence.ts for the proof): the guardian that showed the
 * vault's newer roster, and its epoch. Once recorded it stays: this node's state is older than the
 * vault's, and nothing it signs may go out again. Every command that would sign or deliver (backup,
 * watch, adding, removing or rotating) checks it first, without the network.
 */
import { FencedError } from './errors.js'
import type { CoordinatorStore } from './store.js'

export interface Fence {
  readonly guardian: string
  readonly epoch: number
  readonly at: number
}

/** The newest fence recorded here, if any. */
export function knownFence(db: CoordinatorStore): Fence | undefined {
  const e = db.eventsOf('fenced')[0]
  if (e === undefined) return undefined
  const d = JSON.parse(e.detail) as { guardian: string; epoch: number }
  return { guardian: d.guardian, epoch: d.epoch, at: e.at }
}

/** Record a proven fence (once per epoch). */
export function recordFence(db: CoordinatorStore, fence: Omit<Fence, 'at'>, now: number): void {
  const known = knownFence(db)
  if (known === undefined || known.epoch < fence.epoch)
    db.event('fenced', { guardian: fence.guardian, epoch: fence.epoch }, now)
}

/** Throw FencedError if a takeover of this vault was ever proven here. */
export function refuseIfFenced(db: CoordinatorStore): void {
  const fence = knownFence(db)
  if (fence !== undefined) throw new FencedError(fence.guardian, fence.epoch)
}
