/**
 * How safe the vault is, honestly: per guardian, whether it answers, the newest version it holds
 * (asked live, else its last receipt), whether it holds the current epoch's share; and a verdict.
 * - safe: at least max(k, W) guardians hold the newest committed version and their current share;
 * - at-risk: fewer than k do, or nothing is committed: recovery would fail now;
 * - degraded: anything in between;
 * - fenced: a guardian proved that another coordinator took the vault over; this node must stop.
 */

import { decodeUnsigned } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { encodeText } from '../crypto/text.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { type FetchRequest, fetchFromPeer } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { MSG } from '../p2p/messages.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { WrongVaultError } from '../replica/errors.js'
import { checkEvidence, type Head, openHead } from '../replica/head.js'
import { duration } from '../time/durations.js'
import { pathTo, refreshAddresses } from './addresses.js'
import { distrust } from './distrust.js'
import { type FullDrillRecord, lastFullDrill } from './drill-restore.js'
import { mayBeFenced, proveFence } from './fence.js'
import { knownFence, recordFence } from './fence-record.js'
import { type RecoveryRequestSeen, RequestsSeen, requestReasons } from './requests-seen.js'
import { type FailingSource, failingSources, sourceHealthReasons } from './source-health.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

export type Verdict = 'safe' | 'degraded' | 'at-risk' | 'fenced'

export interface Incident {
  readonly kind: 'equivocation' | 'fencing'
  readonly at: number
  readonly guardian: string
  /** The version two of exist (equivocation), or the epoch that replaced this node (fencing). */
  readonly version: number
}

/** The node id the sources make or name, and what each source was found to be (no hsm_secret hash). */
export function nodeOf(vault: Vault): Pick<VaultStatus, 'node' | 'sources'> {
  const facts = vault.db.sourceFacts()
  const failing = failingSources(vault)
  const sources = vault.db.sources().map((s) => {
    const f = facts.get(s.name)
    const failed = failing.find((x) => x.source === s.name)
    return {
      name: s.name,
      kind: s.kind,
      checked: f?.summary ?? 'not checked yet',
      ...(f?.unchecked !== undefined ? { unchecked: f.unchecked } : {}),
      ...(failed !== undefined ? { failing: failed } : {}),
    }
  })
  const from =
    vault.db.sources().find((s) => s.kind === 'cln-hsm' && facts.get(s.name)?.nodeId !== undefined) ??
    vault.db.sources().find((s) => facts.get(s.name)?.nodeId !== undefined)
  const id = from === undefined ? undefined : facts.get(from.name)!.nodeId!
  return { ...(id !== undefined ? { node: { id, from: from!.name } } : {}), sources }
}

/** One line for an incident, loud enough for the top of a status or an alert. */
export function describeIncident(i: Incident): string {
  return i.kind === 'equivocation'
    ? `EQUIVOCATION: ${i.guardian} holds a different version ${i.version}; another coordinator is running for this node: stop it, then run kith vault heal here`
    : `FENCED: ${i.guardian} holds the vault's epoch ${i.version}, newer than this node's: another machine took the vault over (or this is a stale copy). STOP THIS NODE NOW`
}

export interface GuardianStatus {
  readonly label: string
  readonly peerId: string
  readonly member: boolean
  readonly reachable: boolean | null
  /** How it was last reached: directly, or through a relay. */
  readonly path?: 'direct' | 'relayed'
  /** Since when it has not answered (null: it answered last time, or was never asked). */
  readonly unreachableSince: number | null
  /** Where it is reached: its newest signed address record's addresses, else its invite's. */
  readonly addrs: readonly string[]
  /** Newest version this guardian holds: its live head if it answered, else its newest receipt. */
  readonly version: number
  readonly lag: number
  readonly hasCurrentShare: boolean
  readonly lastContact: number | null
}

export interface VaultStatus {
  readonly vault: string
  readonly name: string
  readonly k: number
  readonly w: number
  readonly n: number
  readonly epoch: number
  /** The owner's paper share, if the vault has one: the epoch printed last, and whether it still counts. */
  readonly paperShare?: {
    readonly epoch: number
    readonly printedAt: number
    readonly current: boolean
  } | null
  /** The node these files are (the id a CLN hsm_secret makes, or a CLN database names), if known. */
  readonly node?: { readonly id: string; readonly from: string }
  /** What each source was found to be at its last check (coordinator/source-checks.ts). */
  readonly sources?: readonly {
    readonly name: string
    readonly kind: string
    readonly checked: string
    readonly unchecked?: string
    /** The last backup could not read it (source-health.ts): why, since when, which copy is kept. */
    readonly failing?: FailingSource
  }[]
  readonly committedVersion: number
  readonly newestVersion: number
  readonly outbox: readonly number[]
  readonly guardians: readonly GuardianStatus[]
  readonly verdict: Verdict
  readonly reasons: readonly string[]
  /** Equivocation (two coordinators for one node) and fencing (a newer epoch elsewhere) seen, newest first. */
  readonly incidents: readonly Incident[]
  /** Open recovery requests the guardians reported: someone is trying to recover this vault. */
  readonly recoveryRequests: readonly RecoveryRequestSeen[]
  /** Recoveries this node did not make that k guardians or more say got the vault lately (released, done). */
  readonly recovered?: readonly RecoveryRequestSeen[]
  /** Requests this node did not make that fewer than k guardians say got a share lately. */
  readonly released?: readonly RecoveryRequestSeen[]
  /** This node's own finished recovery, still open at the guardians named (told again by this status). */
  readonly finishedRecovery?: readonly RecoveryRequestSeen[]
  /** The newest full drill (`kith vault drill --restore`): when, its version, pass, who served bad data. */
  readonly lastFullDrill?: FullDrillRecord & { readonly at: number }
}

export type { RecoveryRequestSeen } from './requests-seen.js'

/** One fetch from a guardian, with the status probe's short deadline. */
async function _probe(vault: Vault, g: GuardianRow, req: FetchRequest): Promise<Uint8Array> {
  return fetchFromPeer(await vault.network(), g, vault.vaultId, req, {
    signal: AbortSignal.timeout(duration('probe')),
    log: vault.p2pLog,
  })
}

/**
 * Ask a guardian whether it holds proof of equivocation in this vault (it may have heard it from a fellow
 * guardian, not from us). Valid evidence is recorded once per guardian and version as an incident.
 */
async function _recordEvidence(vault: Vault, g: GuardianRow): Promise<void> {
  let version: number
  let bytes: Uint8Array
  try {
    bytes = await _probe(vault, g, { what: 'evidence' })
  } catch {
    return // none held (NOT_HELD), or gone since its head answered: nothing to record
  }
  try {
    const f = decodeUnsigned(MSG.evidence, bytes)
    const proven = checkEvidence(f.held, f.offered)
    if (!equalBytes(proven.vaultId, vault.vaultId)) throw new WrongVaultError('evidence')
    version = proven.version
  } catch (err) {
    // "proof" of two coordinators that proves nothing: not recorded, and said
    if (err instanceof KithError) distrust(vault, g, 'evidence of equivocation', err)
    return
  }
  const known = vault.db.eventsOf('equivocation').some((i) => {
    const d = JSON.parse(i.detail) as { guardian: string; version: number }
    return d.guardian === g.label && d.version === version
  })
  if (!known) vault.db.event('equivocation', { guardian: g.label, version }, vault.now())
}

/** What a guardian says of this vault's recovery requests, as it sent it (undefined if it cannot say). */
async function _requests(vault: Vault, g: GuardianRow): Promise<Uint8Array | undefined> {
  try {
    return await _probe(vault, g, { what: 'requests' })
  } catch {
    return undefined // an older or unreachable guardian that cannot say has nothing to report
  }
}

/** A guardian's head, verified; a forged one is said (and the guardian counted as not answering). */
function _openHead(vault: Vault, g: GuardianRow, bytes: Uint8Array): Head {
  try {
    const head = openHead(bytes)
    if (!equalBytes(head.vaultId, vault.vaultId)) throw new WrongVaultError('head')
    return head
  } catch (err) {
    if (err instanceof KithError) distrust(vault, g, 'the head of the newest version it holds', err)
    throw err
  }
}

export async function vaultStatus(vault: Vault, options: { probe?: boolean } = {}): Promise<VaultStatus> {
  const s = vault.db.settings()
  const committed = vault.db.newestCommitted()?.version ?? 0
  const newest = vault.db.newestVersion()?.version ?? 0
  const receipted = vault.db.receiptedVersions()
  const seen = new RequestsSeen()
  const probe = async (g: GuardianRow): Promise<{ reachable: boolean | null; version: number }> => {
    let version = receipted.get(toHex(g.peerId)) ?? 0
    if (options.probe === false || !g.member) return { reachable: null, version }
    try {
      const head = _openHead(vault, g, await _probe(vault, g, { what: 'head' }))
      version = Math.max(version, head.version)
      vault.db.touchGuardian(g.peerId, vault.now())
      // both on the connection the head just used, side by side
      const [, requests] = await Promise.all([_recordEvidence(vault, g), _requests(vault, g)])
      seen.add(vault, g, requests)
      return { reachable: true, version }
    } catch (err) {
      // a guardian that answers "nothing held yet" is reachable; one that says this node was
      // fenced is asked for the proof
      const fence = mayBeFenced(err) ? await proveFence(vault, g) : undefined
      if (fence !== undefined) {
        vault.log.error({ event: 'fenced', guardian: fence.guardian, epoch: fence.epoch })
        recordFence(vault.db, fence, vault.now())
      }
      vault.log.debug({ event: 'probe-failed', guardian: g.label, ...errorFields(err) })
      return { reachable: isRemote(err, 'NOT_HELD') || mayBeFenced(err), version }
    }
  }
  let probed = await Promise.all(vault.db.guardians().map(async (g) => ({ g, ...(await probe(g)) })))
  // a guardian that did not answer may have moved: the others say where it is now, and it is asked again
  const lost = probed.filter((p) => p.reachable === false)
  if (
    lost.length > 0 &&
    (await refreshAddresses(
      vault,
      probed.filter((p) => p.reachable).map((p) => p.g),
    )) > 0
  ) {
    const now = new Map(vault.db.guardians().map((g) => [toHex(g.peerId), g]))
    probed = await Promise.all(
      probed.map(async (p) =>
        p.reachable === false ? { ...p, ...(await probe(now.get(toHex(p.g.peerId))!)) } : p,
      ),
    )
  }
  const node = options.probe === false ? undefined : await vault.network()
  for (const p of probed)
    if (p.reachable !== null)
      vault.db.net.reached(p.g.peerId, p.reachable, node && pathTo(node, p.g), vault.now())
  const rows = new Map(vault.db.guardians().map((g) => [toHex(g.peerId), g]))
  const guardians = probed.map(({ g, reachable, version }): GuardianStatus => {
    const row = rows.get(toHex(g.peerId)) ?? g
    return {
      label: g.label,
      peerId: peerIdFromBytes(g.peerId).toString(),
      member: g.member,
      reachable,
      ...(row.path !== null ? { path: row.path } : {}),
      unreachableSince: row.unreachableSince,
      addrs: row.addrs,
      version,
      lag: Math.max(0, committed - version),
      hasCurrentShare: g.member && g.deliveredEpoch === s.epoch,
      lastContact: row.lastContact,
    }
  })
  const members = guardians.filter((g) => g.member)
  const holding = members.filter(
    (g) => committed > 0 && g.version >= committed && g.hasCurrentShare && g.reachable !== false,
  )
  // this node's own finished recovery is no one trying to recover it: those guardians are told again
  const { open: others, recovered, released, own } = await seen.settle(vault, s.k)
  const reasons: string[] = []
  if (s.epoch === 0)
    reasons.push(`waiting for guardians: ${guardians.length} of ${Math.max(s.k, s.w)} invited`)
  if (committed === 0 && s.epoch > 0) reasons.push('no version committed yet')
  const down = members.filter((g) => g.reachable === false)
  if (down.length > 0)
    reasons.push(`${down.length} guardian(s) unreachable: ${down.map((g) => g.label).join(', ')}`)
  const lagging = members.filter((g) => g.reachable !== false && g.lag > 0)
  if (lagging.length > 0) reasons.push(`${lagging.length} guardian(s) behind the newest committed version`)
  const noShare = members.filter((g) => !g.hasCurrentShare)
  if (noShare.length > 0) reasons.push(`${noShare.length} guardian(s) lack the current epoch's share`)
  if (newest > committed) reasons.push(`version ${newest} is in the outbox, not yet committed`)
  // the owner's paper share counts only in the epoch it was split for
  const paper = vault.db.paper.enabled() ? vault.db.paper.newestPrinted() : undefined
  if (vault.db.paper.enabled() && (paper === undefined || paper.epoch !== s.epoch))
    reasons.push(
      paper === undefined
        ? "your paper share was never written: run 'kith vault paper-share' and print it"
        : `your paper share is of epoch ${paper.epoch}, the vault is at epoch ${s.epoch}: it no longer counts; run 'kith vault paper-share' and print the new one`,
    )
  // equivocation evidence, and proven fences (a bare FENCED refusal is no incident: a liar could send it)
  const incidents = vault.db.eventsOf('equivocation', 'fenced').map((e): Incident => {
    const d = JSON.parse(e.detail) as { guardian: string; version?: number; epoch?: number }
    return e.kind === 'fenced'
      ? { kind: 'fencing', at: e.at, guardian: d.guardian, version: d.epoch ?? 0 }
      : { kind: 'equivocation', at: e.at, guardian: d.guardian, version: d.version ?? 0 }
  })
  // the newest full drill stands until the next: a failure, or bad data the others made up for, is a reason
  const drill = lastFullDrill(vault)
  if (drill !== undefined && !drill.pass)
    reasons.push(
      `the last full drill (version ${drill.version}) FAILED${drill.failure ? ` [${drill.failure.code}]` : ''}${drill.failed.length > 0 ? ` at ${drill.failed.join(', ')}` : ''}: see 'kith vault drill --restore'`,
    )
  if (drill !== undefined && drill.bad.length > 0)
    reasons.push(
      `the last full drill (version ${drill.version}) got bad data from ${[...new Set(drill.bad.map((b) => b.guardian))].join(', ')}: ask them to check their disk`,
    )
  // a source the last backup could not read is kept only as an older copy (or not at all) until one does
  const unread = sourceHealthReasons(vault)
  reasons.unshift(...unread)
  const fence = knownFence(vault.db)
  // a fork this node settled with kith vault heal is listed, no longer a reason: the guardians set the
  // other chain aside (the proof stays with them)
  const healedAt = vault.db.eventsOf('chain-chosen')[0]?.at ?? -1
  const open = incidents.filter((i) => i.kind !== 'equivocation' || i.at > healedAt)
  for (const i of open.slice(0, 1)) reasons.unshift(describeIncident(i))
  if (fence !== undefined && open[0]?.kind !== 'fencing')
    reasons.unshift(
      describeIncident({ kind: 'fencing', at: fence.at, guardian: fence.guardian, version: fence.epoch }),
    )
  // recoveries and requests this node did not make come first of all
  reasons.unshift(...requestReasons(others, recovered, released, s.k))
  const verdict: Verdict =
    committed === 0 || holding.length < s.k
      ? 'at-risk'
      : holding.length >= Math.max(s.k, s.w) && reasons.length === 0
        ? 'safe'
        : 'degraded'
  return {
    vault: encodeText('vault', s.vaultId),
    name: s.name,
    k: s.k,
    w: s.w,
    n: members.length,
    epoch: s.epoch,
    ...(vault.db.paper.enabled()
      ? { paperShare: paper === undefined ? null : { ...paper, current: paper.epoch === s.epoch } }
      : {}),
    ...nodeOf(vault),
    committedVersion: committed,
    newestVersion: newest,
    outbox: vault.db.outbox().map((v) => v.version),
    guardians,
    // an incident about the newest committed version or a later one (two of it exist, or a guardian
    // refused it: it holds another chain or a newer epoch) puts this node's state in doubt until a later
    // version commits; however late the evidence of an older fork arrives, it is listed, not at-risk
    verdict:
      fence !== undefined
        ? 'fenced'
        : unread.length > 0 ||
            recovered.length > 0 ||
            open.some((i) => i.kind === 'equivocation' && i.version >= committed)
          ? 'at-risk'
          : verdict,
    reasons,
    incidents,
    recoveryRequests: others,
    ...(recovered.length > 0 ? { recovered } : {}),
    ...(released.length > 0 ? { released } : {}),
    ...(own.length > 0 ? { finishedRecovery: own } : {}),
    ...(drill !== undefined ? { lastFullDrill: drill } : {}),
  }
}
