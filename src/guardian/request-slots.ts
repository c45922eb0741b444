/**
 * Who gets one of a vault's open recovery-request slots (docs/threat-model.md §A stranger on the
 * network). A vault has a few; a requester holds one, a network (a /24 or /64: p2p/addresses.ts
 * networkOf) two, so a stranger with many addresses holds what one home would and the owner, on any other
 * network, finds room. A pending request nobody has asked after for a while gives way to a new one,
 * first within its own network; a network the guardian's human denied is held out for a while. This must
 * never close a request that was approved, nor one whose recoverer still asks after it.
 */
import { equalBytes, toHex } from '../crypto/bytes.js'
import type { RequestState } from '../p2p/messages.js'

/** How many requests may be open at once for one vault: in all, from one requester, from one network. */
export interface SlotCaps {
  readonly perVault: number
  readonly perRequester: number
  readonly perNetwork: number
}

/** An open request, as far as slots go. */
export interface SlotHolder {
  readonly requestId: Uint8Array
  readonly requester: Uint8Array
  readonly network: string
  readonly state: RequestState
  /** When its recoverer last asked after it (or it was made). */
  readonly lastAsked: number
}

/** Which cap refused a new request: the requester's own, its network's, or the vault's. */
export type SlotFull = 'requester' | 'network' | 'vault'

/** A new request takes a slot (closing `replaces`, a request nobody asked after), or is refused. */
export type SlotDecision =
  | { readonly take: true; readonly replaces?: Uint8Array }
  | { readonly take: false; readonly full: SlotFull }

/**
 * Whether a new request from `asker` gets a slot among the vault's `open` requests. `heldOut` lists the
 * network of each request the human denied lately: each counts against its network as if still open.
 * A pending request last asked after before `quietSince` may give way.
 */
export function chooseSlot(
  open: readonly SlotHolder[],
  heldOut: readonly string[],
  asker: { readonly requester: Uint8Array; readonly network: string },
  caps: SlotCaps,
  quietSince: number,
): SlotDecision {
  if (open.filter((r) => equalBytes(r.requester, asker.requester)).length >= caps.perRequester)
    return { take: false, full: 'requester' }
  const quiet = (r: SlotHolder) => r.state === 'pending' && r.lastAsked < quietSince
  const ownNetwork = open.filter((r) => r.network === asker.network)
  if (ownNetwork.length + heldOut.filter((n) => n === asker.network).length >= caps.perNetwork) {
    // its network's own abandoned request makes room (an earlier run of the owner's, stopped)
    const own = _quietest(ownNetwork.filter(quiet))
    return own === undefined ? { take: false, full: 'network' } : { take: true, replaces: own.requestId }
  }
  if (open.length < caps.perVault) return { take: true }
  // the vault is full: a quiet request of the network that holds most gives way
  const held = new Map<string, number>()
  for (const r of open) held.set(r.network, (held.get(r.network) ?? 0) + 1)
  const most = Math.max(0, ...open.filter(quiet).map((r) => held.get(r.network)!))
  const other = _quietest(open.filter((r) => quiet(r) && held.get(r.network) === most))
  return other === undefined ? { take: false, full: 'vault' } : { take: true, replaces: other.requestId }
}

/** The one asked after least recently. */
const _quietest = (rs: readonly SlotHolder[]): SlotHolder | undefined =>
  rs.reduce<SlotHolder | undefined>(
    (a, r) => (a === undefined || r.lastAsked < a.lastAsked ? r : a),
    undefined,
  )

/**
 * When each open request's recoverer last asked after it, in memory: a recoverer asks every second or
 * so while it waits, and one that stopped (a recovery given up, a run started again) leaves a request
 * nobody can use. After a restart, every request counts as asked after at the start.
 */
export class RequestAttendance {
  private readonly asked = new Map<string, number>()

  constructor(
    private readonly since: number,
    private readonly maxKeys = 4096,
  ) {}

  /** Its recoverer asked after it at `now`. */
  touch(requestId: Uint8Array, now: number, quietSince: number): void {
    this.asked.set(toHex(requestId), now)
    // a request not asked after since `quietSince` is quiet with or without its entry (see lastAsked)
    if (this.asked.size > this.maxKeys)
      for (const [id, at] of this.asked) if (at < quietSince) this.asked.delete(id)
  }

  /** When the request made at `createdAt` was last asked after. */
  lastAsked(requestId: Uint8Array, createdAt: number): number {
    return this.asked.get(toHex(requestId)) ?? Math.max(createdAt, this.since)
  }
}
