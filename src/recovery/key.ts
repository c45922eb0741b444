/**
 * Rebuilding the data key: poll every guardian until k shares of the newest roster's epoch are released,
 * combine them and check the result against the roster's commitment (shares/combine.ts). A share of an
 * older epoch (its guardian missed a re-share) is set aside and named, never let into the combine, so it
 * cannot block k current ones. The key lives only in memory.
 */

import { KithError } from '../errors.js'
import { type Roster, shareCount } from '../replica/roster.js'
import { combineShares } from '../shares/combine.js'
import type { ShareEnvelope } from '../shares/share-envelope.js'
import { FINAL, pastDeadline, pollUntil } from './asking.js'
import type { RecoveryContext, Tracked } from './context.js'
import { NotEnoughApprovalsError, RecoveryTimeoutError } from './errors.js'

/** Shares of the roster's epoch; the others are named once as set aside. */
function _current(ctx: RecoveryContext, roster: Roster, setAside: Set<Tracked>): Tracked[] {
  const current: Tracked[] = []
  for (const t of ctx.targets.values()) {
    if (t.share === undefined) continue
    if (t.shareEpoch === roster.epoch) {
      current.push(t)
      continue
    }
    if (setAside.has(t)) continue
    setAside.add(t)
    ctx.say({ event: 'share-set-aside', guardian: t.label, epoch: t.shareEpoch ?? -1, current: roster.epoch })
  }
  return current
}

/**
 * The owner's paper share, if it is of the roster's epoch: the first time it is looked at, it is said
 * whether it counts (one of an older epoch cannot: the guardians' shares were split again since).
 */
const _paperSaid = new WeakSet<RecoveryContext>()
function _paper(ctx: RecoveryContext, roster: Roster): ShareEnvelope | undefined {
  const paper = ctx.opts.paperShare
  if (paper === undefined) return undefined
  const counts = paper.epoch === roster.epoch && paper.n === shareCount(roster)
  if (!_paperSaid.has(ctx)) {
    _paperSaid.add(ctx)
    ctx.say({ event: 'paper-share', epoch: paper.epoch, current: roster.epoch, counts })
  }
  return counts ? paper : undefined
}

export async function gatherKey(ctx: RecoveryContext): Promise<{ key: Uint8Array; roster: Roster }> {
  const setAside = new Set<Tracked>()
  let tried = -1
  let have = 0
  const cannot = (roster: Roster) => {
    const denied = [...ctx.targets.values()].filter(
      (t) => FINAL.has(t.state ?? '') && t.state !== 'released',
    ).length
    return new NotEnoughApprovalsError(have, roster.k, `${denied} guardian(s) denied or refused`)
  }
  const rebuilt = await pollUntil(
    ctx,
    () => ctx.targets.values(),
    async () => {
      const roster = ctx.roster
      if (roster === undefined) return undefined
      const shares = _current(ctx, roster, setAside)
      const paper = _paper(ctx, roster)
      have = shares.length + (paper ? 1 : 0)
      if (have >= roster.k && have > tried) {
        tried = have
        try {
          const { key, badShares } = await combineShares(
            [...shares.map((t) => t.share!), ...(paper ? [paper.bytes] : [])],
            { vaultId: ctx.opts.vaultId, epoch: roster.epoch },
          )
          ctx.say({
            event: 'key-rebuilt',
            epoch: roster.epoch,
            shares: shares.length,
            badShares: [...badShares],
          })
          // the key k of them rebuilt matches the vault's commitment: a share that does not fit it is bad
          for (const t of shares.filter((s) => s.shareX !== undefined && badShares.includes(s.shareX)))
            ctx.distrust(t, 'share', {
              code: 'SHARE_MISMATCH',
              reason: `its share (x=${t.shareX}) does not fit the key the others rebuild, which the vault's commitment proves`,
            })
          return { key, roster }
        } catch (err) {
          if (!(err instanceof KithError)) throw err
          // shares that do not fit together: wait for more guardians, if any can still release
          ctx.log.warn({ event: 'shares-do-not-fit', shares: shares.length, k: roster.k, code: err.code })
        }
      }
      const open = [...ctx.targets.values()].filter((t) => !FINAL.has(t.state ?? '')).length
      if (open + shares.length < roster.k) throw cannot(roster)
      return undefined
    },
  )
  if (rebuilt !== undefined) return rebuilt
  // nobody is left to ask, or the wait is over
  if (ctx.roster !== undefined && !pastDeadline(ctx)) throw cannot(ctx.roster)
  throw new RecoveryTimeoutError(have, ctx.roster?.k ?? 0)
}
