/**
 * No silent destruction: a roster signed by the vault key that leaves this guardian out deletes nothing
 * at once. Whoever stole the coordinator's disk could sign one naming throwaway peers and wipe every
 * friend; so the removal waits out a grace period (7 days by default), its human is told, and may keep
 * the data (`kith guardian keep`). Equivocation evidence and the audit log are never deleted.
 */
import { encodeText } from '../crypto/text.js'
import { GUARDIAN_ADVICE, vaultWord } from './advice.js'
import type { GuardianContext } from './context.js'
import type { VaultRow } from './store/index.js'

/** Record that `epoch`'s roster drops this guardian; the data goes after the grace period. */
export function scheduleRemoval(ctx: GuardianContext, vault: VaultRow, epoch: number): void {
  const now = ctx.now()
  const at = now + ctx.removalGraceMs
  if (!ctx.db.vaults.scheduleRemoval(vault.vaultId, epoch, at, now)) return
  ctx.log.warn({ event: 'removal-scheduled', vault: vault.label, epoch, removeAt: at })
  const keep = GUARDIAN_ADVICE.keep.command(
    ctx.dataDir,
    vaultWord(
      vault.label,
      encodeText('vault', vault.vaultId),
      ctx.db.vaults.all().map((v) => v.label),
    ),
  )
  ctx.notify(
    'removal',
    `"${vault.label}" no longer names you`,
    `A new guardian list for your friend's node "${vault.label}" leaves you out. Its data stays until ${new Date(at).toISOString().slice(0, 10)}. If your friend did not tell you, call them and keep it: ${keep}`,
    { vault: vault.label, epoch, removeAt: new Date(at).toISOString() },
  )
  ctx.say(
    `REMOVAL: vault "${vault.label}" was signed over to other guardians (epoch ${epoch}) and no longer names you. Its data stays until ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC; nothing is deleted before. If your friend did not tell you about this, call them, and keep it: ${keep}`,
  )
}

/** Delete the vaults whose grace period is over (and that nobody kept). */
export async function sweepRemovals(ctx: GuardianContext): Promise<void> {
  for (const due of ctx.db.vaults.dueRemovals(ctx.now())) {
    await ctx.exclusive(due.vaultId, async () => {
      const v = ctx.db.vaults.get(due.vaultId)
      // kept or renamed since it was listed
      if (!v?.removal || v.removal.kept || v.removal.at > ctx.now()) return
      ctx.db.removeVault(v.vaultId, v.removal.epoch, ctx.now())
      ctx.gossip.leave(v.vaultId)
      ctx.log.info({ event: 'vault-removed', vault: v.label, epoch: v.removal.epoch })
      ctx.say(
        `vault "${v.label}" removed after its grace period: its data was deleted; the audit log keeps the fact`,
      )
    })
  }
}
