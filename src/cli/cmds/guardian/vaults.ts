/** Naming a vault on a guardian's command line: by its label, or by its kvault1… id or a start of it. */
import { encodeText } from '../../../crypto/text.js'
import type { GuardianStore, VaultRow } from '../../../guardian/store/index.js'
import { UsageError } from '../../errors.js'

/** The vaults `name` matches (all of them when it is undefined). */
export function matchVaults(db: GuardianStore, name: string | undefined): VaultRow[] {
  return db.vaults
    .all()
    .filter((v) => name === undefined || v.label === name || encodeText('vault', v.vaultId).startsWith(name))
}

/** The one vault `name` matches, or a usage error saying how many did. */
export function oneVault(db: GuardianStore, name: string | undefined): VaultRow {
  const chosen = matchVaults(db, name)
  if (chosen.length !== 1)
    throw new UsageError(`name exactly one vault (by label or kvault1… id); ${chosen.length} match`)
  return chosen[0]!
}
