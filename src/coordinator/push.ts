/**
 * The push of one stored version to the vault's guardians: each member gets only the chunks it lacks
 * (a small version inline with its offer; a large one to one guardian first, which the others take it
 * from), receipts are counted and W commit it, and the commit certificate goes to every member. It only
 * sends what the outbox already holds durably: building and storing a version is backup.ts's.
 */
import { toHex } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { sendCertificate } from '../p2p/client.js'
import { isBadAnswer, isRemote } from '../p2p/errors.js'
import { MAX_INLINE_BYTES, MAX_INLINE_CHUNKS, MAX_PUSH_SOURCES } from '../p2p/messages.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { encodeCertificate } from '../replica/certificate.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import { ChunkMissingError } from '../replica/errors.js'
import { type ChunkRef, headOfManifest, openManifest } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { pathTo, refreshAddresses } from './addresses.js'
import { distrust } from './distrust.js'
import { checkFenced, mayBeFenced } from './fence.js'
import { vaultPaths } from './paths.js'
import type { GuardianRow, VersionRow } from './store.js'
import type { Vault } from './vault.js'

export interface PushReport {
  readonly version: number
  readonly receipts: number
  readonly quorum: number
  readonly committed: boolean
  /** Bytes of chunks this node sent for it (each guardian's share counted): its uplink's load. */
  readonly sentBytes: number
  /** Guardians that did not take it: a one-line reason and, if the guardian refused, its code. */
  readonly failures: readonly { label: string; error: string; code?: string }[]
}

/**
 * The guardians of one push sent the same chunks (a version too small to stripe) ask for them in the
 * same order, at about the same time; a small window of recent reads lets them share one read per chunk
 * instead of one each. Two of the largest chunks: a striped push reads each chunk for one guardian, and
 * what this window holds is the coordinator's memory (32 MiB was a tenth of its peak).
 */
class SharedReads {
  private readonly recent = new Map<string, Promise<Uint8Array | undefined>>()
  private bytes = 0
  private static readonly MAX_BYTES = 8 * 1024 * 1024

  constructor(private readonly store: DirChunkStore) {}

  get(id: Uint8Array): Promise<Uint8Array | undefined> {
    const key = toHex(id)
    let read = this.recent.get(key)
    if (read === undefined) {
      read = this.store.get(id)
      this.recent.set(key, read)
      void read.then(
        (b) => {
          this.bytes += b?.length ?? 0
          // forget the oldest reads once the window is full (Map keeps insertion order)
          for (const [k, p] of this.recent) {
            if (this.bytes <= SharedReads.MAX_BYTES) break
            this.recent.delete(k)
            void p.then((old) => {
              this.bytes -= old?.length ?? 0
            })
          }
        },
        () => this.recent.delete(key),
      )
    }
    return read
  }
}

/** Bytes to send and sent across all guardians of one push, for a progress display. */
export interface ByteProgress {
  addTotal(bytes: number): void
  addDone(bytes: number): void
}

/**
 * Push one stored version to every member without a receipt for it; record receipts; commit at W.
 * Throws FencedError when a guardian proves that another coordinator took the vault over.
 */
export async function pushToGuardians(
  vault: Vault,
  v: VersionRow,
  signal?: AbortSignal,
  progress?: ByteProgress,
): Promise<PushReport> {
  const s = vault.db.settings()
  const node = await vault.network()
  const sessions = await vault.pushSessions()
  const chunks = new SharedReads(new DirChunkStore(vaultPaths(vault.dir).chunks))
  const have = vault.db.receiptedVersions()
  const before = vault.db.receiptsOf(v.version).length
  const sizes = progress
    ? new Map(openManifest(v.manifest).chunks.map((c) => [toHex(c.id), c.size]))
    : undefined
  const track = progress && {
    need: (ids: readonly Uint8Array[]) =>
      progress.addTotal(ids.reduce((n, id) => n + (sizes!.get(toHex(id)) ?? 0), 0)),
    sent: (bytes: number) => progress.addDone(bytes),
  }
  const failures: { label: string; error: string; code?: string }[] = []
  let sentBytes = 0
  const refused: GuardianRow[] = []
  const unreached: GuardianRow[] = []
  /** Members that hold this version now: the sources named to the others (upload once). */
  const holders = () => {
    const held = vault.db.receiptedVersions()
    return vault.members().filter((g) => (held.get(toHex(g.peerId)) ?? 0) >= v.version)
  }
  const inline = inlineChunks(vault, v)
  const pushStarted = performance.now()
  let receipted = before
  const push = async (g: GuardianRow, last: boolean, relay = false, swarm?: readonly Uint8Array[]) => {
    const held = have.get(toHex(g.peerId)) ?? 0
    if (held >= v.version) return
    const sources = swarm ?? (relay ? holders().map((h) => h.peerId) : [])
    // a small version goes with its new chunks to a guardian that holds its parent: one round trip
    const withChunks = inline !== undefined && !relay && held === v.version - 1
    const started = performance.now()
    const who = { version: v.version, guardian: g.label, peer: peerIdFromBytes(g.peerId).toString() }
    try {
      const r = await sessions.push(
        g,
        {
          manifest: v.manifest,
          manifestHash: v.hash,
          chunk: async (id) => {
            const stored = await chunks.get(id)
            if (stored === undefined) throw new ChunkMissingError(toHex(id))
            return stored
          },
          ...(track ? { progress: track } : {}),
          ...(sources.length > 0 ? { sources } : {}),
          ...(swarm !== undefined ? { readAhead: STRIPED_READ_AHEAD } : {}),
          ...(withChunks ? { inline } : {}),
        },
        signal ? { signal } : undefined,
      )
      sentBytes += r.sentBytes
      receipted = vault.db.addReceipt(v.version, g.peerId, r.receipt.bytes, s.w, vault.now())
      // the W-th receipt commits it (in that transaction): when the backup's promise is kept
      if (receipted === s.w)
        vault.log.info({ event: 'version-committed', version: v.version, ms: _since(pushStarted) })
      vault.db.net.reached(g.peerId, true, pathTo(node, g), vault.now())
      vault.onPushed?.((performance.now() - started) / 1000)
      vault.log.info({
        event: 'pushed',
        ...who,
        chunks: r.sentChunks,
        bytes: r.sentBytes,
        ms: _since(started),
        ...(sources.length > 0 ? { relayedFrom: sources.length } : {}),
        inline: withChunks,
      })
    } catch (err) {
      const code = isRemote(err) ? err.remoteCode : undefined
      // one that did not answer is asked again once its address is refreshed (below)
      const retry = code === undefined && !last
      vault.log.warn({ event: 'push-failed', ...who, ms: _since(started), retry, ...errorFields(err) })
      // a receipt for another manifest or signer, or an answer out of the protocol: not a mere failure
      if (isBadAnswer(err)) distrust(vault, g, `its answer to the push of version ${v.version}`, err)
      // one that did not answer may have moved: asked again at its newest address below
      if (code === undefined && !last) return void unreached.push(g)
      if (code === undefined) vault.db.net.reached(g.peerId, false, undefined, vault.now())
      const kind = code === undefined ? undefined : INCIDENTS.get(code)
      if (kind !== undefined) vault.db.event(kind, { guardian: g.label, version: v.version }, vault.now())
      if (mayBeFenced(err)) refused.push(g)
      failures.push({
        label: g.label,
        error: err instanceof KithError ? err.message : String(err),
        ...(code ? { code } : {}),
      })
    }
  }
  const lacking = vault.members().filter((g) => (have.get(toHex(g.peerId)) ?? 0) < v.version)
  if (lacking.length >= 2 && freshBytes(vault, v) >= RELAY_MIN_BYTES) {
    // upload once, striped: each guardian lacking it takes its own share of the chunks from this node
    // and the rest from the others (holders, and those taking their shares now), all at once
    // one that was unreachable last time is offered it afterwards, from the holders: its fellows would
    // wait on it for its stripe
    const reachable = lacking.filter((g) => g.unreachableSince === null)
    const candidates = reachable.length > 0 ? reachable : lacking
    const swarm = [...holders(), ...seedOrder(candidates)].slice(0, MAX_PUSH_SOURCES)
    const named = new Set(swarm.map((g) => toHex(g.peerId)))
    const ids = swarm.map((g) => g.peerId)
    await Promise.all(
      lacking.filter((g) => named.has(toHex(g.peerId))).map((g) => push(g, false, false, ids)),
    )
    // beyond the most an offer names, or unreachable last time: from those that hold it by now
    await Promise.all(lacking.filter((g) => !named.has(toHex(g.peerId))).map((g) => push(g, false, true)))
  } else await Promise.all(vault.members().map((g) => push(g, false)))
  if (unreached.length > 0) {
    // the others may know where they are now (signed address records); then each is tried once more
    const gone = new Set(unreached.map((g) => toHex(g.peerId)))
    const moved = await refreshAddresses(
      vault,
      vault.members().filter((g) => !gone.has(toHex(g.peerId))),
    )
    const now = vault.members().filter((g) => gone.has(toHex(g.peerId)))
    vault.log.info({ event: 'push-retry', version: v.version, guardians: now.length, moved })
    await Promise.all(now.map((g) => push(g, true, true)))
  }
  await checkFenced(vault, refused)
  const receipts = vault.db.receiptsOf(v.version)
  const committed = receipts.length >= s.w
  vault.log.info({
    event: 'push-done',
    version: v.version,
    receipts: receipts.length,
    quorum: s.w,
    committed,
    sentBytes,
    failures: failures.length,
    ms: _since(pushStarted),
  })
  // a certificate goes out when this push added to it (a retry of a version every member holds sends none)
  if (committed && receipts.length > before) await distributeCertificate(vault, v, receipts, signal)
  return { version: v.version, receipts: receipts.length, quorum: s.w, committed, sentBytes, failures }
}

/**
 * Chunks read ahead per guardian in a striped push: the uplink is shared by all of them, so each needs
 * fewer, and a few per guardian bound what this node holds.
 */
const STRIPED_READ_AHEAD = 2

/** Below this many new bytes a version goes to every guardian at once: latency counts more than uplink. */
const RELAY_MIN_BYTES = 256 * 1024

/** The distinct chunks of `v` that `other` (an earlier version, if any) does not list. */
function chunksBeyond(v: VersionRow, other: VersionRow | undefined): ChunkRef[] {
  const old = new Set(other ? openManifest(other.manifest).chunks.map((c) => toHex(c.id)) : [])
  const mine = new Map(openManifest(v.manifest).chunks.map((c) => [toHex(c.id), c] as const))
  return [...mine].filter(([hex]) => !old.has(hex)).map(([, c]) => c)
}

/** Bytes of chunks `v` has that the newest committed version before it did not. */
function freshBytes(vault: Vault, v: VersionRow): number {
  const before = vault.db.newestCommitted()
  return chunksBeyond(v, before !== undefined && before.version < v.version ? before : undefined).reduce(
    (n, c) => n + c.size,
    0,
  )
}

/**
 * The chunks `v` has that its parent does not, when they fit in an offer (MAX_INLINE_BYTES): what a
 * guardian holding the parent lacks. Undefined for a larger version, or none new.
 */
function inlineChunks(vault: Vault, v: VersionRow): Uint8Array[] | undefined {
  const parent = v.version > 1 ? vault.db.version(v.version - 1) : undefined
  if (v.version > 1 && parent === undefined) return undefined
  const fresh = chunksBeyond(v, parent)
  const bytes = fresh.reduce((n, c) => n + c.size, 0)
  if (fresh.length === 0 || fresh.length > MAX_INLINE_CHUNKS || bytes > MAX_INLINE_BYTES) return undefined
  return fresh.map((c) => c.id)
}

/** Who should take a version first: reached last time, directly, most recently. */
function seedOrder(gs: readonly GuardianRow[]): GuardianRow[] {
  const rank = (g: GuardianRow) => (g.unreachableSince === null ? 0 : 2) + (g.path === 'relayed' ? 1 : 0)
  return [...gs].sort((a, b) => rank(a) - rank(b) || (b.lastContact ?? 0) - (a.lastContact ?? 0))
}

/**
 * Refusals that are incidents, recorded for status and alerts: two coordinators for one node (a second
 * manifest for a version, or one that does not extend what the guardian holds: a fork). A refusal that
 * says this node was fenced counts only with its proof (fence.ts).
 */
const INCIDENTS: ReadonlyMap<string, 'equivocation'> = new Map([
  ['EQUIVOCATION', 'equivocation'],
  ['VERSION_CHAIN', 'equivocation'],
])

/**
 * Give every member the version's commit certificate (its head and the receipts), so that any guardian,
 * even one that does not hold the version, can prove to a recoverer that it was committed. Best effort:
 * a guardian that misses it still has the head it saw, and gets the next one.
 */
async function distributeCertificate(
  vault: Vault,
  v: VersionRow,
  receipts: readonly Uint8Array[],
  signal?: AbortSignal,
): Promise<void> {
  const node = await vault.network()
  const certificate = encodeCertificate(headOfManifest(openManifest(v.manifest)).bytes, receipts)
  const deadline = AbortSignal.timeout(duration('certify'))
  const opts = { signal: signal ? AbortSignal.any([signal, deadline]) : deadline }
  const sent = await Promise.all(
    vault.members().map((g) =>
      sendCertificate(node, g, certificate, { ...opts, log: vault.p2pLog }).then(
        () => true,
        (err: unknown) => {
          // a guardian that is away gets the next one
          vault.log.debug({
            event: 'certificate-not-sent',
            version: v.version,
            guardian: g.label,
            ...errorFields(err),
          })
          return false
        },
      ),
    ),
  )
  vault.log.info({
    event: 'certificate-sent',
    version: v.version,
    to: sent.filter(Boolean).length,
    of: sent.length,
  })
}

/** Milliseconds since `t` (performance.now()), rounded: a log line's duration. */
const _since = (t: number): number => Math.round(performance.now() - t)
