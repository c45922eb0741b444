/**
 * After a backup, a coordinator that runs as a kith release offers its own release file to each guardian
 * of the vault (docs/format.md §Release offer), so that a friend's page can give the operator the kith
 * their recovery kit names. Best effort: a guardian that is away or refuses gets it at the next backup,
 * and nothing here ever fails a backup. A coordinator run from source offers nothing.
 */
import { errorFields } from '../log.js'
import { offerReleaseFile } from '../p2p/release-offer.js'
import type { ReleaseFile } from '../release/file.js'
import { fileBytes } from '../release/self.js'
import { duration } from '../time/durations.js'
import type { Vault } from './vault.js'

/** The offer each open vault has under way: one at a time, so a busy `vault watch` never stacks them. */
const _inFlight = new WeakMap<Vault, Promise<void>>()

/**
 * Offer `release` in the background: the backup that committed returns at once (the first offer of a
 * release sends the whole file, some 130 MB, to each guardian, and `vault watch` must not wait on that
 * before its next backup). Nothing when one is under way already; closing the vault aborts it.
 */
export function startReleaseOffer(vault: Vault, release: ReleaseFile | undefined): void {
  if (release === undefined || _inFlight.has(vault)) return
  const offering = offerRelease(vault, release).finally(() => _inFlight.delete(vault))
  _inFlight.set(vault, offering)
}

/** The offer under way for `vault`, if any (it never rejects). */
export function releaseOfferUnderWay(vault: Vault): Promise<void> | undefined {
  return _inFlight.get(vault)
}

/** Offer `release` to every guardian at once; resolves (never rejects) when each has answered or failed. */
export async function offerRelease(vault: Vault, release: ReleaseFile | undefined): Promise<void> {
  if (release === undefined) return
  try {
    const node = await vault.network()
    const offer = {
      vaultId: vault.vaultId,
      name: release.name,
      sha256: Buffer.from(release.sha256, 'hex'),
      size: release.size,
    }
    // one guardian at a time, each with a time of its own: a slow uplink sends one whole file after
    // another (each kept as it completes) instead of five halves that all run out of time together
    const outcomes: string[] = []
    for (const g of vault.members()) {
      const signal = AbortSignal.timeout(duration('releaseOffer'))
      outcomes.push(
        await offerReleaseFile(node, g, offer, () => fileBytes(release.path), {
          signal,
          log: vault.p2pLog,
        }).catch((err: unknown) => {
          vault.log.warn({ event: 'release-file-not-offered', guardian: g.label, ...errorFields(err) })
          return 'failed' as const
        }),
      )
    }
    const count = (o: string) => outcomes.filter((x) => x === o).length
    vault.log.info({
      event: 'release-file-offered',
      name: release.name,
      sent: count('sent'),
      had: count('have'),
      failed: count('failed'),
    })
  } catch (err) {
    vault.log.warn({ event: 'release-file-not-offered', ...errorFields(err) })
  }
}
