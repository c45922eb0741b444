/**
 * What the guardians say about recoveries of this vault, for `kith vault status` and every watch round:
 * the requests still open (someone is trying to recover it), and those that recovered it lately (a share
 * went out, or their maker said it is done: someone rebuilt the vault's key). This node's own finished
 * recovery (coordinator/finished-recovery.ts) is neither: it is told again to the guardians that still
 * show it open. A recovery this node did not make is the loudest thing status says.
 */
import { decodeUnsigned } from '../codec/record.js'
import { toHex } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { MSG } from '../p2p/messages.js'
import { distrust } from './distrust.js'
import { finishedRecoveries, setOwnApart } from './finished-recovery.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

export interface RecoveryRequestSeen {
  readonly request: string
  readonly createdAt: number
  readonly guardians: readonly string[]
}

/** The recoveries the guardians reported, each once, with who reported it. */
export class RequestsSeen {
  private readonly open = new Map<string, RecoveryRequestSeen>()
  private readonly recovered = new Map<string, RecoveryRequestSeen>()

  /** A guardian's answer to "requests" (undefined: it could not say); one that does not decode is said. */
  add(vault: Vault, g: GuardianRow, bytes: Uint8Array | undefined): void {
    if (bytes === undefined) return
    let answer: ReturnType<typeof decodeUnsigned<typeof MSG.requests.schema.fields>>
    try {
      answer = decodeUnsigned(MSG.requests, bytes)
    } catch (err) {
      if (err instanceof KithError) distrust(vault, g, 'its list of recovery requests', err)
      return
    }
    _note(this.open, g, answer.requests)
    _note(this.recovered, g, answer.recovered ?? [])
  }

  /**
   * Others' open requests, others' recoveries, and this node's own finished recovery where it is still
   * open (those guardians told again).
   */
  async settle(
    vault: Vault,
    k: number,
  ): Promise<{
    open: RecoveryRequestSeen[]
    recovered: RecoveryRequestSeen[]
    released: RecoveryRequestSeen[]
    own: RecoveryRequestSeen[]
  }> {
    // read (and their signatures checked) once, for both lists
    const mine = finishedRecoveries(vault)
    const { others, own } = await setOwnApart(vault, [...this.open.values()], mine)
    const got = [...this.recovered.values()].filter((r) => !mine.has(r.request))
    // a recovery needs k shares: k guardians saying so is one; fewer (or one that lies) is a share gone
    return {
      open: others,
      recovered: got.filter((r) => r.guardians.length >= k),
      released: got.filter((r) => r.guardians.length < k),
      own,
    }
  }
}

function _note(
  into: Map<string, RecoveryRequestSeen>,
  g: GuardianRow,
  rs: readonly { requestId: Uint8Array; createdAt: number }[],
): void {
  for (const r of rs) {
    const request = toHex(r.requestId)
    const seen = into.get(request) ?? { request, createdAt: r.createdAt, guardians: [] as string[] }
    ;(seen.guardians as string[]).push(g.label)
    into.set(request, seen)
  }
}

/** Status's lines for them, loudest first: a recovery this node did not make, then open requests. */
export function requestReasons(
  open: readonly RecoveryRequestSeen[],
  recovered: readonly RecoveryRequestSeen[],
  released: readonly RecoveryRequestSeen[] = [],
  k = 1,
): string[] {
  return [
    ...recovered.map(
      (r) =>
        `RECOVERED: request ${r.request} rebuilt this vault's key (${r.guardians.length} guardians say so: ${r.guardians.join(', ')}). If that was not you on another machine, someone holds your node's keys: move your funds now and call your guardians`,
    ),
    ...released.map(
      (r) =>
        `SHARE RELEASED: request ${r.request} got a share from ${r.guardians.join(', ')} (${r.guardians.length} of the ${k} a recovery needs). If it is not you, run 'kith vault veto ${r.request}' and call your guardians`,
    ),
    ...open.map(
      (r) =>
        `RECOVERY REQUEST ${r.request} at ${r.guardians.join(', ')}: if this is not you, run 'kith vault veto ${r.request}' and call your guardians`,
    ),
  ]
}
