/**
 * Which version to restore (docs/design.md §Recovery path, step 5). Every guardian is asked what it holds,
 * the newest head it has seen and the newest commit certificate it has. The newest version any answer
 * proves exists must be the one restored: if no answering guardian holds it, the recovery stops and says
 * which version exists and who holds it. And since a committed version is held by W guardians, when at
 * least n − W + 1 + f guardians answer, one of them that holds the newest committed version is honest
 * even if f of them lie or were rolled back; with fewer answers a newer version may exist unseen, and the
 * restore is refused unless the operator accepts that.
 */

import { decodeUnsigned } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { errorFields } from '../log.js'
import { fetchFromPeer } from '../p2p/client.js'
import { type MessageOf, MSG } from '../p2p/messages.js'
import { guardianKey, guardianKeys } from '../p2p/peers.js'
import { type CommitProof, openCertificate } from '../replica/certificate.js'
import { WrongVaultError } from '../replica/errors.js'
import { type Head, openHead } from '../replica/head.js'
import type { Roster } from '../replica/roster.js'
import { duration } from '../time/durations.js'
import type { BadAnswer, LastHeard, RecoveryContext, Tracked } from './context.js'

/** What one guardian told about the vault's newest version (each part verified, or dropped). */
export interface Answer {
  readonly t: Tracked
  readonly held?: Head
  readonly seen?: Head
  readonly proof?: CommitProof
  /** How long ago (ms) it last heard from the vault's coordinator, and from its plugin. */
  readonly coordinatorHeard?: number
  readonly pluginHeard?: number
}

/** Ask every guardian of the roster what it knows; the ones that do not answer are left out. */
export async function collectAnswers(ctx: RecoveryContext, roster: Roster): Promise<Answer[]> {
  const trusted = { vaultId: roster.vaultId, w: roster.w, keys: guardianKeys(roster.guardians) }
  const node = await ctx.node()
  const asked = await Promise.all(
    roster.guardians.map(async (g): Promise<Answer | undefined> => {
      const t = ctx.targets.get(toHex(g.peerId)) ?? { ...g }
      let bytes: Uint8Array
      try {
        bytes = await fetchFromPeer(
          node,
          t,
          ctx.opts.vaultId,
          { what: 'freshness' },
          { signal: AbortSignal.timeout(duration('askFreshness')), log: ctx.p2pLog },
        )
      } catch (err) {
        // silence, or a refusal: not an answer about the vault
        ctx.log.debug({ event: 'freshness-not-given', guardian: t.label, ...errorFields(err) })
        return undefined
      }
      let f: MessageOf<'freshness'>
      try {
        f = decodeUnsigned(MSG.freshness, bytes)
      } catch (err) {
        // bytes that are not an answer count as none (and never stop the recovery)
        ctx.distrust(t, 'freshness', err)
        return undefined
      }
      // a part that does not verify is dropped, and said; the rest of the answer still counts
      const part = <T>(what: BadAnswer, fn: () => T | undefined): T | undefined => {
        try {
          return fn()
        } catch (err) {
          ctx.distrust(t, what, err)
          return undefined
        }
      }
      const head = (b: Uint8Array | undefined) => {
        if (b === undefined) return undefined
        const h = openHead(b)
        if (!equalBytes(h.vaultId, ctx.opts.vaultId)) throw new WrongVaultError('head')
        return h
      }
      const held = part('head', () => head(f.held))
      const seen = part('seen-head', () => head(f.seen))
      const proof = part('certificate', () =>
        f.certificate ? openCertificate(f.certificate, trusted) : undefined,
      )
      ctx.log.debug({
        event: 'freshness-answer',
        guardian: t.label,
        held: held?.version ?? 0,
        seen: seen?.version ?? 0,
        certified: proof?.head.version ?? 0,
      })
      return {
        t,
        ...(held ? { held } : {}),
        ...(seen ? { seen } : {}),
        ...(proof ? { proof } : {}),
        ...(f.coordinatorHeard !== undefined ? { coordinatorHeard: f.coordinatorHeard } : {}),
        ...(f.pluginHeard !== undefined ? { pluginHeard: f.pluginHeard } : {}),
      }
    }),
  )
  return asked.filter((a) => a !== undefined)
}

export interface Judgement {
  readonly answered: number
  readonly needed: number
  readonly tolerate: number
  /** The newest version an answering guardian holds, and who holds exactly it. */
  readonly best?: Head
  readonly holders: readonly Tracked[]
  /** The newest version any answer proves exists (held, seen or certified). */
  readonly newest: number
  /** The newest version a valid certificate proves committed (0 if none). */
  readonly certified: number
  /** Whether `newest` is newer than every version held (nothing held counts as behind). */
  readonly behind: boolean
  /** Whether a certificate proves `newest` itself (or a newer one) committed. */
  readonly newestCertified: boolean
  /** Labels of the guardians known to hold `newest` (from certificates), for the error that names them. */
  readonly newestHolders: readonly string[]
  /** When the answering guardians last heard the old node (absent: none ever did). */
  readonly lastHeard?: LastHeard
}

/** The most recent contact with the old node any answer reports. */
export function lastHeard(answers: readonly Answer[]): LastHeard | undefined {
  const heard = answers.filter((a) => a.coordinatorHeard !== undefined || a.pluginHeard !== undefined)
  if (heard.length === 0) return undefined
  const min = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined)
    return known.length === 0 ? undefined : Math.min(...known)
  }
  const pluginAgo = min(heard.map((a) => a.pluginHeard))
  return {
    guardians: heard.length,
    ago: min(heard.flatMap((a) => [a.coordinatorHeard, a.pluginHeard]))!,
    ...(pluginAgo !== undefined ? { pluginAgo } : {}),
  }
}

/** Apply the rule to the answers: what is proven, what is held, how many answers are needed. */
/** How many answers the rule needs (n − W + 1 + f), and the f it assumes (default min(1, W − 1)). */
export function answersNeeded(roster: Roster, tolerate?: number): { needed: number; tolerate: number } {
  const f = tolerate ?? Math.min(1, roster.w - 1)
  return { needed: roster.guardians.length - roster.w + 1 + f, tolerate: f }
}

/**
 * Whether head `a` is newer than `b`: by epoch, then version. Within one epoch that is the version; a
 * higher epoch's version comes after every older epoch's, so after the owner chose its chain in a new
 * epoch (§Chain choice) a guardian still on the other coordinator's chain, with higher version numbers
 * of the old epoch, does not make the restore look stale.
 */
function _newer(a: Pick<Head, 'epoch' | 'version'>, b: Pick<Head, 'epoch' | 'version'> | undefined): boolean {
  return b === undefined || a.epoch > b.epoch || (a.epoch === b.epoch && a.version > b.version)
}

function _newest(heads: readonly (Head | undefined)[]): Head | undefined {
  let out: Head | undefined
  for (const h of heads) if (h !== undefined && _newer(h, out)) out = h
  return out
}

export function judge(answers: readonly Answer[], roster: Roster, tolerate?: number): Judgement {
  const { needed, tolerate: f } = answersNeeded(roster, tolerate)
  const best = _newest(answers.map((a) => a.held))
  const newestHead = _newest(answers.flatMap((a) => [a.held, a.seen, a.proof?.head]))
  const newestProof = _newest(answers.map((a) => a.proof?.head))
  const newest = newestHead?.version ?? 0
  const certified = newestProof?.version ?? 0
  const holders = best
    ? answers.filter((a) => a.held && equalBytes(a.held.manifestHash, best.manifestHash)).map((a) => a.t)
    : []
  const heard = lastHeard(answers)
  const proofOfNewest = answers.find(
    (a) =>
      newestHead !== undefined &&
      a.proof !== undefined &&
      !_newer(newestHead, a.proof.head) &&
      !_newer(a.proof.head, newestHead),
  )?.proof
  const labels = new Map(roster.guardians.map((g) => [toHex(guardianKey(g.peerId)), g.label]))
  const newestHolders = (proofOfNewest?.holders ?? []).map((k) => labels.get(k) ?? k.slice(0, 12)).sort()
  return {
    answered: answers.length,
    needed,
    tolerate: f,
    ...(best ? { best } : {}),
    holders,
    newest,
    certified,
    behind: newestHead !== undefined && (best === undefined || _newer(newestHead, best)),
    newestCertified:
      newestHead !== undefined && newestProof !== undefined && !_newer(newestHead, newestProof),
    newestHolders,
    ...(heard !== undefined ? { lastHeard: heard } : {}),
  }
}
