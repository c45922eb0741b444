/**
 * Equivocation evidence: two vault-signed heads of one version naming different manifests, proof that
 * two coordinators are alive for one node. Keeping it and announcing it are named steps of their own,
 * separate from the checks that find it (ingest.ts), and repeated every anti-entropy round (sync.ts).
 */
import { encodeRecordBody } from '../codec/record.js'
import { MSG } from '../p2p/messages.js'
import { settledByChoice } from './choice.js'
import { type GuardianContext, shortId, vaultName } from './context.js'
import type { Equivocation } from './store/index.js'

/** Keep the evidence and flag the vault (idempotent); true if it was new. */
export function keepEvidence(ctx: GuardianContext, e: Equivocation): boolean {
  const vault = ctx.db.vaults.get(e.vaultId)
  // a fork the owner has settled by choosing a chain is kept, and no longer raises the flag
  const settled = vault !== undefined && settledByChoice(vault, e)
  return ctx.db.versions.recordEquivocation(e, ctx.now(), !settled) && !settled
}

/** Tell this guardian's human and every fellow guardian on the vault's topic. */
export function announceEvidence(ctx: GuardianContext, e: Equivocation): void {
  const label = ctx.db.vaults.get(e.vaultId)?.label ?? shortId(e.vaultId)
  ctx.notify(
    'equivocation',
    `Two copies of "${label}" are running`,
    `Your guardian saw two different versions ${e.version} of your friend's node "${label}": two copies of it are running, which can lose its channels. Tell your friend now to stop all but one.`,
    { vault: label, version: e.version },
    `equivocation:${shortId(e.vaultId)}:${e.version}`,
  )
  ctx.say(
    `!! EQUIVOCATION in vault ${vaultName(ctx, e.vaultId)}: two different version ${e.version}s; evidence kept and announced`,
  )
  publishEvidence(ctx, e.vaultId, { held: e.heldHead, offered: e.offeredHead })
}

/** Gossip a proof of equivocation; repeated every anti-entropy round, so late peers hear it too. */
export function publishEvidence(
  ctx: GuardianContext,
  vaultId: Uint8Array,
  heads: { held: Uint8Array; offered: Uint8Array },
): void {
  void ctx.gossip
    .publish(vaultId, encodeRecordBody(MSG.evidence, heads))
    .catch((err: unknown) => ctx.log.debug({ event: 'publish-failed', reason: String(err) }))
}
