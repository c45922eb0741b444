/**
 * A guardian running as a kith release keeps a copy of its own executable among its release files
 * (docs/format.md §Release files), so that a friend who lost everything can get kith from its page.
 * Run in the background at start: it never holds the start up, and a failure is logged, never thrown.
 */
import { toHex } from '../crypto/bytes.js'
import { errorFields } from '../log.js'
import { ownReleaseFile, type ReleaseFile } from '../release/file.js'
import type { GuardianContext } from './context.js'

/**
 * Check the kept files (their hashes), keep `release` (by default this process's own executable, when
 * it is a release; null: none) unless a file with its hash is kept, then prune to the newest per source.
 */
export async function keepOwnRelease(ctx: GuardianContext, release?: ReleaseFile | null): Promise<void> {
  const files = ctx.releaseFiles
  try {
    await files.check()
    const own = release === undefined ? await ownReleaseFile() : release
    if (own !== undefined && own !== null && ctx.running()) {
      const kept = await files.keep(own, { from: 'self' })
      ctx.log.info({ event: 'own-release-kept', name: kept.name, sha256: kept.sha256 })
    }
    await files.prune(new Set(ctx.db.vaults.all().map((v) => toHex(v.vaultId))))
  } catch (err) {
    ctx.log.warn({ event: 'own-release-not-kept', ...errorFields(err) })
    ctx.say(`could not keep a copy of this kith release for your friends: ${errorFields(err).err}`)
  }
}
