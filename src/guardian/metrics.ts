/**
 * A guardian's gauges on `/metrics` (docs/operator.md §Metrics), read from its database when scraped:
 * per vault, labelled by its name, what is held and how full. Counters and timings are kept where they
 * happen (handlers, through the context). A label is a name, never an id, a key or content.
 */
import type { Metrics } from '../metrics.js'
import type { GuardianStore } from './store/index.js'

/** Set every vault's gauges from the database, as of `now`. */
export function refreshGauges(metrics: Metrics, db: GuardianStore, now: number): void {
  for (const v of db.vaults.all()) {
    const labels = { vault: v.label }
    metrics.set(
      'kith_guardian_versions_held',
      'Versions of a vault held',
      db.versions.list(v.vaultId).length,
      labels,
    )
    metrics.set('kith_guardian_newest_version', 'Newest version of a vault held', v.headVersion, labels)
    metrics.set(
      'kith_guardian_certified_version',
      'Newest version proven committed',
      v.certifiedVersion,
      labels,
    )
    metrics.set('kith_guardian_bytes_stored', 'Bytes a vault uses here', v.bytesStored, labels)
    metrics.set('kith_guardian_quota_bytes', 'Bytes a vault may use here', v.quota, labels)
    metrics.set(
      'kith_guardian_last_contact_seconds',
      'Seconds since the vault last pushed or changed here',
      Math.max(0, (now - v.lastContact) / 1000),
      labels,
    )
    metrics.set(
      'kith_guardian_open_requests',
      'Open recovery requests',
      db.requests.list({ vaultId: v.vaultId, open: true }).length,
      labels,
    )
  }
}
