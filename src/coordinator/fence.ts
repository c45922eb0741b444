/**
 * Fencing, seen from the old coordinator: after a recovery with `--resume` elsewhere, guardians that
 * adopted the new roster refuse this node (FENCED, or STALE_EPOCH for a roster it tries to deliver).
 * A refusal alone proves nothing (one lying guardian could stop every backup), so the guardian is asked
 * for the roster it holds: signed by the vault key, at a newer epoch, naming another coordinator. That
 * proof is recorded, and from then on every backup, watch and status of this node stops with FENCED,
 * whether or not a guardian answers.
 */
import { equalBytes } from '../crypto/bytes.js'
import { fetchFromPeer } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { peerIdBytes } from '../p2p/peers.js'
import { openRoster } from '../replica/roster.js'
import { FencedError } from './errors.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

/** What a proven takeover looks like: the guardian that showed it and the roster's epoch. */
export interface Fence {
  readonly guardian: string
  readonly epoch: number
}

const PROOF_TIMEOUT_MS = 5000

/** Refusals that may mean another coordinator took over: worth asking for the proof. */
export const FENCE_CODES: ReadonlySet<string> = new Set(['FENCED', 'STALE_EPOCH'])

/** Whether an error is a guardian's refusal that may mean this node was fenced. */
export const mayBeFenced = (err: unknown): boolean => [...FENCE_CODES].some((c) => isRemote(err, c))

/**
 * Ask `g` for the roster it holds; the fence it proves (signed by this vault's key, a newer epoch than
 * ours, another coordinator), or undefined when it proves nothing.
 */
export async function proveFence(vault: Vault, g: GuardianRow): Promise<Fence | undefined> {
  try {
    const node = await vault.network()
    const bytes = await fetchFromPeer(
      node,
      g,
      vault.vaultId,
      { what: 'roster' },
      {
        signal: AbortSignal.timeout(PROOF_TIMEOUT_MS),
      },
    )
    const roster = openRoster(bytes)
    const ours = peerIdBytes(node.peerId)
    if (!equalBytes(roster.vaultId, vault.vaultId) || roster.epoch <= vault.db.settings().epoch) return
    if (roster.coordinator !== undefined && equalBytes(roster.coordinator, ours)) return
    return { guardian: g.label, epoch: roster.epoch }
  } catch {
    return undefined // no proof: a refusal it cannot back with the vault's signature counts for nothing
  }
}

/** The newest takeover proven here, if any. */
export function knownFence(vault: Vault): Fence | undefined {
  const e = vault.db.eventsOf('fenced')[0]
  if (e === undefined) return undefined
  const d = JSON.parse(e.detail) as { guardian: string; epoch: number }
  return { guardian: d.guardian, epoch: d.epoch }
}

/** Record a proven fence, once per epoch. */
export function recordFence(vault: Vault, fence: Fence): void {
  const known = knownFence(vault)
  if (known === undefined || known.epoch < fence.epoch)
    vault.db.event('fenced', { guardian: fence.guardian, epoch: fence.epoch }, vault.now())
}

/** The takeover that stops this node: one proven at a newer epoch than this node's own. */
export function activeFence(vault: Vault): Fence | undefined {
  const known = knownFence(vault)
  return known !== undefined && known.epoch > vault.db.settings().epoch ? known : undefined
}

/** Throw FencedError if a takeover of this vault was proven before (no network needed). */
export function refuseIfFenced(vault: Vault): void {
  const fence = activeFence(vault)
  if (fence !== undefined) throw new FencedError(fence.guardian, fence.epoch)
}

/** For guardians that refused with a fencing code: the first proof any of them gives, thrown. */
export async function checkFenced(vault: Vault, refused: readonly GuardianRow[]): Promise<void> {
  for (const g of refused) {
    const fence = await proveFence(vault, g)
    if (fence === undefined) continue
    recordFence(vault, fence)
    throw new FencedError(fence.guardian, fence.epoch)
  }
}
