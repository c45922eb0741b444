/** `kith guardian policy`: show, or set for one vault, the release delay and the request lifetime. */
import { encodeText } from '../../../../crypto/text.js'
import { formatDuration } from '../../../../format.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { matchVaults, oneVault } from '../vaults.js'
import type { PolicyArgs } from './options.js'

export async function policyHandler(a: PolicyArgs): Promise<void> {
  const rows = await withGuardianStore(a.dataDir, (db) => {
    const chosen = matchVaults(db, a.vault)
    if (a.releaseDelay !== undefined || a.expireAfter !== undefined) {
      db.requests.setPolicy(
        oneVault(db, a.vault).vaultId,
        {
          ...(a.releaseDelay !== undefined ? { releaseDelay: parseDuration(a.releaseDelay) } : {}),
          ...(a.expireAfter !== undefined ? { requestTtl: parseDuration(a.expireAfter) } : {}),
        },
        systemClock()(),
      )
    }
    return chosen.map((v) => {
      const now = db.vaults.require(v.vaultId)
      return {
        label: v.label,
        vault: encodeText('vault', v.vaultId),
        releaseDelayMs: now.releaseDelay,
        requestTtlMs: now.requestTtl,
      }
    })
  })
  if (a.json) return sayJson({ policies: rows })
  for (const p of rows)
    say(
      `${p.label}: release ${p.releaseDelayMs > 0 ? `${formatDuration(p.releaseDelayMs)} after approval` : 'at approval'}; requests expire after ${formatDuration(p.requestTtlMs)}`,
    )
}
