/**
 * Fencing, seen from the old coordinator: after a recovery with `--resume` elsewhere, guardians that
 * adopted the new roster refuse this node (FENCED, or STALE_EPOCH for a roster it tries to deliver).
 * A refusal alone proves nothing (one lying guardian could stop every backup), so the guardian is asked
 * for the roster it holds: signed by the vault key, at a newer epoch (or the same epoch with other
 * bytes). That proof is recorded, and from then on every backup, watch and status of this node stops
 * with FENCED, and nothing is signed or delivered, whether or not a guardian answers (fence-record.ts).
 */
import { equalBytes } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { fetchFromPeer } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { WrongVaultError } from '../replica/errors.js'
import { openRoster, type Roster } from '../replica/roster.js'
import { duration } from '../time/durations.js'
import { distrust } from './distrust.js'
import { FencedError } from './errors.js'
import { type Fence, recordFence } from './fence-record.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

/** Refusals that may mean another coordinator took over: worth asking for the proof. */
export const FENCE_CODES: ReadonlySet<string> = new Set(['FENCED', 'STALE_EPOCH'])

/** Whether an error is a guardian's refusal that may mean this node was fenced. */
export const mayBeFenced = (err: unknown): boolean => [...FENCE_CODES].some((c) => isRemote(err, c))

/**
 * Ask `g` for the roster it holds; the fence it proves, or undefined when it proves nothing. A proof is
 * the vault's own signed roster at a newer epoch than this node's, or at its epoch with other bytes:
 * another coordinator took over, or this node is a stale copy of the one that did.
 */
/** What asking for a fence's proof needs: the coordinator, or the CLN plugin beside it (no key). */
export type FenceAsker = Pick<Vault, 'network' | 'vaultId' | 'db' | 'log' | 'p2pLog'>

export async function proveFence(
  vault: FenceAsker,
  g: { readonly label: string; readonly peerId: Uint8Array; readonly addrs: readonly string[] },
): Promise<Omit<Fence, 'at'> | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await fetchFromPeer(
      await vault.network(),
      g,
      vault.vaultId,
      { what: 'roster' },
      { signal: AbortSignal.timeout(duration('fenceProof')), log: vault.p2pLog },
    )
  } catch (err) {
    vault.log.debug({ event: 'fence-proof-not-given', guardian: g.label, ...errorFields(err) })
    return undefined
  }
  // no proof: a refusal it cannot back with the vault's signature counts for nothing, and is said
  let roster: Roster
  try {
    roster = openRoster(bytes)
    if (!equalBytes(roster.vaultId, vault.vaultId)) throw new WrongVaultError('roster')
  } catch (err) {
    if (err instanceof KithError) distrust(vault, g, 'the roster that would prove this node fenced', err)
    return undefined
  }
  const epoch = vault.db.settings().epoch
  if (
    roster.epoch < epoch ||
    (roster.epoch === epoch && equalBytes(roster.bytes, vault.db.roster(epoch) ?? new Uint8Array()))
  ) {
    distrust(vault, g, 'a refusal as fenced', {
      code: 'FENCED',
      reason: `it refused this node as replaced, but the roster it holds (epoch ${roster.epoch}) is not newer than this node's (epoch ${epoch})`,
    })
    return undefined
  }
  return { guardian: g.label, epoch: roster.epoch }
}

/**
 * Ask every member for its head (as a status probe does); a refusal that may mean fencing is asked for
 * its proof. For a backup that had nothing to push, so a quiet old node is stopped all the same.
 */
export async function probeFence(vault: Vault): Promise<void> {
  const node = await vault.network()
  const refused: GuardianRow[] = []
  await Promise.all(
    vault.members().map((g) =>
      fetchFromPeer(
        node,
        g,
        vault.vaultId,
        { what: 'head' },
        { signal: AbortSignal.timeout(duration('fenceProof')), log: vault.p2pLog },
      ).catch((err: unknown) => {
        if (mayBeFenced(err)) refused.push(g)
      }),
    ),
  )
  await checkFenced(vault, refused)
}

/** For guardians that refused with a fencing code: the first proof any of them gives, thrown. */
export async function checkFenced(vault: Vault, refused: readonly GuardianRow[]): Promise<void> {
  for (const g of refused) {
    const fence = await proveFence(vault, g)
    if (fence === undefined) continue
    vault.log.error({ event: 'fenced', guardian: fence.guardian, epoch: fence.epoch })
    recordFence(vault.db, fence, vault.now())
    throw new FencedError(fence.guardian, fence.epoch)
  }
}
