/** The vault's state as Prometheus gauges (docs/operator.md §Metrics), read from its database. */

import { toHex } from '../crypto/bytes.js'
import type { Metrics } from '../metrics.js'
import { failingSources } from './source-health.js'
import type { Vault } from './vault.js'

export function vaultMetrics(vault: Vault, m: Metrics): void {
  const now = vault.now()
  m.set('kith_vault_committed_version', 'Newest committed version', vault.db.newestCommitted()?.version ?? 0)
  m.set('kith_vault_newest_version', 'Newest version built', vault.db.newestVersion()?.version ?? 0)
  m.set(
    'kith_vault_outbox_versions',
    'Versions built and not yet committed, newer than the newest committed',
    vault.db.outbox().length,
  )
  m.set('kith_vault_epoch', 'The roster epoch in force', vault.db.settings().epoch)
  // a source the last backup could not read: the guardians keep an older copy of it, or none
  const failing = new Set(failingSources(vault).map((f) => f.source))
  for (const s of vault.db.sources())
    m.set(
      'kith_vault_source_not_read',
      'Whether the last backup could not read a source (1) or read it (0)',
      failing.has(s.name) ? 1 : 0,
      { source: s.name },
    )
  const receipted = vault.db.receiptedVersions()
  for (const g of vault.members()) {
    const labels = { guardian: g.label }
    m.set(
      'kith_guardian_receipted_version',
      'Newest version a guardian acknowledged',
      receipted.get(toHex(g.peerId)) ?? 0,
      labels,
    )
    m.set('kith_guardian_quota_bytes', 'Space a guardian gave this vault', g.quota, labels)
    m.set(
      'kith_guardian_reachable',
      'Whether a guardian answered last time (1) or not (0)',
      g.unreachableSince === null ? 1 : 0,
      labels,
    )
    if (g.lastContact !== null)
      m.set(
        'kith_guardian_last_contact_seconds',
        'Seconds since a guardian last answered',
        Math.max(0, (now - g.lastContact) / 1000),
        labels,
      )
  }
}
