/**
 * What the guardian's page shows, read from its database at each request: the vaults it keeps, the
 * recovery requests its human decides, and the audit history in plain words. Everything here is data;
 * pages.ts turns it into HTML. Labels were checked when they were accepted and are cleaned again here.
 */
import { toHex } from '../../crypto/bytes.js'
import { encodeText } from '../../crypto/text.js'
import { formatSize, spellDuration } from '../../format.js'
import { networkOf } from '../../p2p/addresses.js'
import { cleanText } from '../../text.js'
import { DAY } from '../../time/units.js'
import { addressKinds } from '../addresses.js'
import { GUARDIAN_ADVICE } from '../advice.js'
import type { AuditEvent, GuardianStore, RecoveryRequestRow, VaultRow } from '../store/index.js'
import { MAX_WRONG_CODES } from '../store/requests.js'

/** Closed requests stay on the first page this long, so the human sees how they ended. */
const RECENT_MS = 3 * DAY

export interface RequestView {
  readonly id: string
  /** The vault's id, hex. */
  readonly vault: string
  /** Where it came from as limits count it: the /24 or /64 of its address. */
  readonly network: string
  readonly label: string
  readonly state: RecoveryRequestRow['state']
  readonly ageMs: number
  readonly fromIp: string
  readonly expiresInMs: number
  readonly releaseInMs: number | null
  readonly wrongCodes: number
  readonly triesLeft: number
  /** This guardian's share went to it. */
  readonly released: boolean
}

export interface VaultView {
  readonly id: string
  readonly vault: string
  readonly label: string
  readonly size: string
  readonly quota: string
  readonly full: number
  readonly version: number
  readonly lastContactAgoMs: number
  readonly releaseDelay: string
  readonly equivocation: boolean
  readonly removal: { readonly inMs: number; readonly kept: boolean } | null
}

export interface HistoryLine {
  readonly seq: number
  readonly at: number
  readonly label: string
  readonly words: string
  readonly alarm: boolean
}

const _label = (v: VaultRow | undefined) => (v ? cleanText(v.label, 64) : 'a vault no longer kept here')

export function requestViews(db: GuardianStore, now: number): RequestView[] {
  db.requests.expire(now)
  const vaults = new Map(db.vaults.all().map((v) => [toHex(v.vaultId), v]))
  return db.requests
    .list()
    .filter(
      (r) =>
        r.state === 'pending' ||
        r.state === 'approved' ||
        Math.max(r.decidedAt ?? 0, r.releasedAt ?? 0, r.createdAt) > now - RECENT_MS,
    )
    .map((r) => ({
      id: toHex(r.requestId),
      vault: toHex(r.vaultId),
      network: cleanText(networkOf(r.requesterIp), 64),
      label: _label(vaults.get(toHex(r.vaultId))),
      state: r.state,
      ageMs: now - r.createdAt,
      fromIp: cleanText(r.requesterIp, 64),
      expiresInMs: r.expiresAt - now,
      releaseInMs: r.state === 'approved' && r.releaseAt !== null ? Math.max(0, r.releaseAt - now) : null,
      released: r.releasedAt !== null,
      wrongCodes: r.wrongCodes,
      triesLeft: Math.max(0, MAX_WRONG_CODES - r.wrongCodes),
    }))
}

export function vaultViews(db: GuardianStore, now: number): VaultView[] {
  return db.vaults.all().map((v) => ({
    id: toHex(v.vaultId),
    vault: encodeText('vault', v.vaultId),
    label: _label(v),
    size: formatSize(v.bytesStored),
    quota: formatSize(v.quota),
    full: v.quota > 0 ? v.bytesStored / v.quota : 0,
    version: v.headVersion,
    lastContactAgoMs: now - v.lastContact,
    releaseDelay: v.releaseDelay > 0 ? spellDuration(v.releaseDelay) : 'at once',
    equivocation: v.equivocation,
    removal: v.removal ? { inMs: v.removal.at - now, kept: v.removal.kept } : null,
  }))
}

const _num = (d: AuditEvent['detail'], k: string) => (typeof d[k] === 'number' ? d[k] : undefined)

/** One event in plain words, and whether it is one the human should worry about. */
function _words(e: AuditEvent): { words: string; alarm: boolean } {
  const d = e.detail
  const version = _num(d, 'version')
  switch (e.kind) {
    case 'invite-created':
      return { words: `You made an invite (${cleanText(String(d['label'] ?? ''), 64)})`, alarm: false }
    case 'enrolled':
      return { words: 'You started keeping this backup', alarm: false }
    case 'version-stored':
      return { words: `Received backup version ${version ?? '?'}`, alarm: false }
    case 'pruned':
      return { words: 'Old backup versions were cleaned up', alarm: false }
    case 'recovery-requested':
      return { words: 'Someone asked to recover it', alarm: true }
    case 'recovery-approved':
      return { words: 'You approved a recovery', alarm: false }
    case 'recovery-denied':
      return { words: 'You denied a recovery', alarm: false }
    case 'recovery-wrong-code':
      return { words: 'A wrong code was typed for a recovery', alarm: true }
    case 'recovery-locked':
      return { words: 'A recovery was locked: too many wrong codes', alarm: true }
    case 'recovery-vetoed':
      return { words: 'The owner vetoed a recovery', alarm: true }
    case 'recovery-vetoed-finished':
      return { words: 'A recovery the owner vetoed got the vault back elsewhere: call them now', alarm: true }
    case 'recovery-finished':
      return { words: 'Your friend finished their recovery: they have their node back', alarm: false }
    case 'recovery-expired':
      return { words: 'A recovery request ran out unanswered', alarm: false }
    case 'share-released':
      return { words: 'Your share went to the recovery you approved', alarm: false }
    case 'policy-set':
      return { words: 'The release delay was changed', alarm: false }
    case 'roster-updated':
      return { words: 'The owner changed the list of guardians', alarm: false }
    case 'removal-scheduled':
      return { words: 'The owner dropped you from the guardians; the data waits to be deleted', alarm: true }
    case 'removal-declined':
      return { words: 'You kept the data', alarm: false }
    case 'removal-cancelled':
      return { words: 'The owner took you back: nothing will be deleted', alarm: false }
    case 'vault-removed':
      return { words: 'The data was deleted', alarm: false }
    case 'coordinator-fenced':
      return { words: "An old copy of the owner's node was shut out", alarm: true }
    case 'coordinator-unfenced':
      return { words: "The owner's node was let in again", alarm: false }
    case 'equivocation':
      return { words: `Two different backups both called version ${version ?? '?'}`, alarm: true }
    case 'chain-chosen':
      return { words: 'The owner chose which copy of the backup is theirs', alarm: false }
    case 'set-aside':
      return { words: "The other copy's backups were set aside (the proof is kept)", alarm: false }
    // the journal's audit events keep its historical name, stream
    case 'stream-writer':
      return { words: "The owner's node started sending live updates", alarm: false }
    case 'stream-covered':
      return { words: 'Live updates included in a backup were cleaned up', alarm: false }
    default:
      return { words: cleanText(e.kind, 40), alarm: false }
  }
}

/** The audit history, newest first, `limit` events older than `before`; received versions in a row fold. */
export function historyLines(
  db: GuardianStore,
  limit: number,
  before?: number,
): { lines: HistoryLine[]; older: number | null } {
  const events = db.audit.recent(limit, before)
  const vaults = new Map(db.vaults.all().map((v) => [toHex(v.vaultId), v]))
  const lines: HistoryLine[] = []
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    const label = e.vaultId ? _label(vaults.get(toHex(e.vaultId))) : ''
    let j = i
    // a run of received versions of one vault reads as one line: "versions 3 to 10"
    while (
      e.kind === 'version-stored' &&
      events[j + 1]?.kind === 'version-stored' &&
      toHex(events[j + 1]!.vaultId ?? new Uint8Array()) === toHex(e.vaultId ?? new Uint8Array())
    )
      j++
    if (j > i) {
      const first = _num(events[j]!.detail, 'version') ?? '?'
      const last = _num(e.detail, 'version') ?? '?'
      lines.push({
        seq: e.seq,
        at: e.at,
        label,
        words: `Received backup versions ${first} to ${last}`,
        alarm: false,
      })
      i = j
      continue
    }
    lines.push({ seq: e.seq, at: e.at, label, ..._words(e) })
  }
  return { lines, older: events.length === limit ? events[events.length - 1]!.seq : null }
}

/**
 * How friends reach this guardian (in `dir`), in a friend's words; the addresses themselves for
 * "Technical details". Unreachable from elsewhere: how to add a relay.
 */
export function reachWords(addrs: readonly string[], dir?: string): { words: string[]; addrs: string[] } {
  const plain = addrs.map((a) => a.replace(/\/p2p\/[^/]+$/, ''))
  const { open, relayed } = addressKinds(plain)
  const words: string[] = []
  if (open.length > 0) words.push('Friends can reach this guardian directly over the internet.')
  if (relayed.length > 0)
    words.push('Friends can reach this guardian through a relay, without any router setting.')
  const loopback = plain.length > 0 && plain.every((a) => /\/ip4\/127\.|\/ip6\/::1\//.test(a))
  if (words.length === 0 && loopback)
    words.push(
      'Only programs on this computer can reach this guardian: it listens on this computer alone (127.0.0.1), so no friend can reach it yet.',
    )
  else if (words.length === 0) words.push('Only computers on this home network can reach this guardian now.')
  if (open.length === 0 && relayed.length === 0)
    words.push(
      `To be reached from elsewhere without any router setting, ask your friend for a relay address and add it: ${GUARDIAN_ADVICE.addRelay.command(dir)}. Then restart your guardian. (Or forward the port on your router.)`,
    )
  return { words, addrs: plain }
}
