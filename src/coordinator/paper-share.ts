/** `kith vault paper-share`: the owner's own share of the split (docs/format.md §Paper share). */
import { refuseIfFenced } from './fence-record.js'
import type { DeliveryResult, Vault } from './vault.js'

/**
 * The owner's own share of the current epoch, for paper: it counts toward k like a guardian's. The first
 * call turns it on, which takes a new epoch (the same data key, split once more, every guardian given
 * its new share); later calls print the current epoch's again. A new epoch (a guardian added or removed,
 * a rotation, a heal) makes the printed one useless: print again then (vault status says so).
 */
export async function paperShare(
  vault: Vault,
): Promise<{ envelope: Uint8Array; epoch: number; results: DeliveryResult[] }> {
  refuseIfFenced(vault.db)
  let results: DeliveryResult[] = []
  if (!vault.db.paper.enabled() || vault.db.paper.of(vault.db.settings().epoch) === undefined) {
    if (!vault.db.paper.enabled()) vault.db.paper.enable(vault.now())
    await vault.newEpoch(vault.members())
    results = await vault.deliverRosters()
  }
  const epoch = vault.db.settings().epoch
  const envelope = vault.paperShareOf(epoch)!
  vault.db.paper.markPrinted(epoch, vault.now())
  vault.log.info({ event: 'paper-share-printed', epoch })
  return { envelope, epoch, results }
}
