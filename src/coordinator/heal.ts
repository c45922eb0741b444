/**
 * `kith vault heal`: the owner's choice of chain after a fork (docs/format.md §Chain choice), as a new
 * epoch of the vault with the chain choice it travels with.
 */
import { concatBytes } from '../crypto/bytes.js'
import { CHOICE_MAX_VERSIONS, signChainChoice } from '../replica/choice.js'
import { NothingToHealError } from './errors.js'
import type { DeliveryResult, Vault } from './vault.js'

/**
 * After a fork (another coordinator ran with this vault's key, and some guardians committed its
 * versions), choose this coordinator's chain: a new epoch with the same guardians under a new data key,
 * and a signed chain choice naming this coordinator's versions (up to the newest it made). Guardians
 * set aside every older-epoch version off it and keep the evidence (guardian/choice.ts). The caller
 * then backs up, so the vault's newest version is of the new epoch.
 */
export async function healVault(
  vault: Vault,
): Promise<{ version: number; first: number; results: DeliveryResult[] }> {
  const newest = vault.db.newestVersion()
  if (newest === undefined) throw new NothingToHealError()
  // the hashes of this coordinator's own versions, the newest run without a gap, at most the choice's
  // limit: a guardian sets aside whatever it holds in that run under another hash
  const chain = vault.db.chainFrom(Math.max(1, newest.version - CHOICE_MAX_VERSIONS + 1))
  let start = chain.length - 1
  while (start > 0 && chain[start - 1]!.version === chain[start]!.version - 1) start--
  const run = chain.slice(start)
  const first = run[0]!.version
  const s = vault.db.settings()
  await vault.newEpoch(
    vault.members(),
    true,
    (epoch) =>
      signChainChoice(
        {
          vaultId: s.vaultId,
          epoch,
          first,
          version: newest.version,
          hashes: concatBytes(...run.map((r) => r.hash)),
          createdAt: vault.now(),
        },
        vault.signingKey(),
      ).bytes,
  )
  vault.log.info({ event: 'chain-chosen', version: newest.version, first, epoch: s.epoch + 1 })
  return { version: newest.version, first, results: await vault.deliverRosters() }
}
