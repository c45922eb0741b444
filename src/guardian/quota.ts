/**
 * A vault's quota at this guardian: one number of bytes for all it stores here, its versions (manifests
 * and chunks) and its journals' entries together, checked in the transaction that would store them. It
 * must never be counted per journal or per kind: each would get the whole quota again.
 */
import { type GuardianContext, shortId } from './context.js'
import { QuotaExceededError, UnknownVaultError } from './errors.js'
import type { GuardianStore } from './store/index.js'

/** Throw QuotaExceededError unless `bytes` more fit in the vault's quota (nothing to check for ≤ 0). */
export function requireRoom(db: GuardianStore, vaultId: Uint8Array, bytes: number): void {
  if (bytes <= 0) return
  const v = db.vaults.usage(vaultId)
  if (v === undefined) throw new UnknownVaultError()
  if (v.bytesStored + bytes > v.quota) throw new QuotaExceededError(v.quota, v.bytesStored + bytes)
}

/** Tell the guardian's human, once per run, when a vault uses 90% of its quota or more. */
export function warnIfNearlyFull(ctx: GuardianContext, vaultId: Uint8Array): void {
  const use = ctx.db.vaults.usage(vaultId)
  if (use === undefined || use.bytesStored < 0.9 * use.quota) return
  const held = ctx.db.vaults.get(vaultId)
  if (held === undefined) return
  ctx.notify(
    'quota',
    `"${held.label}" is nearly at its limit`,
    `Your friend's node "${held.label}" uses ${Math.round((100 * held.bytesStored) / held.quota)}% of the space you gave it. Tell your friend: what would not fit is refused.`,
    { vault: held.label, bytesStored: held.bytesStored, quota: held.quota },
    `quota:${shortId(vaultId)}`,
  )
}
