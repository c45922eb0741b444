/**
 * A recovery on a new machine (docs/design.md §Recovery path, docs/recovery.md):
 * 1. a one-time recovery key; a request to every guardian, polled until k shares are released;
 * 2. the shares combined into the data key, checked against the roster's commitment (in memory only);
 * 3. every reachable guardian asked for its newest signed head; fewer than n − W + 1 answers means a
 *    newer committed version may exist, so the restore is refused unless `acceptStale`;
 * 4. the newest version fetched from all holders in parallel, each chunk checked against its id (a
 *    guardian serving bad bytes is skipped and named), decrypted, verified and written atomically.
 * Events go to `onEvent` as they happen; none carries a key, share or content.
 */

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { AbortOptions } from '@libp2p/interface'
import { openRelease } from '../ceremony/release.js'
import { recoveryRequestId, verificationCode } from '../ceremony/request.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { generateEciesKeyPair } from '../crypto/ecies.js'
import { deriveDataKeys } from '../crypto/kdf.js'
import { KithError } from '../errors.js'
import { type FetchRequest, fetchFromPeer, type RecoveryReply, requestRecovery } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { type Head, openHead } from '../replica/head.js'
import { type Manifest, openManifest, openManifestBody } from '../replica/manifest.js'
import type { ManifestBody } from '../replica/manifest-body.js'
import { type RestoredFile, restoreVersion } from '../replica/restore.js'
import { openRoster, type Roster } from '../replica/roster.js'
import { combineShares } from '../shares/combine.js'
import { ShareMismatchError } from '../shares/errors.js'
import { openShareEnvelope } from '../shares/share-envelope.js'
import { GuardianChunks } from './chunks.js'
import {
  NotEnoughApprovalsError,
  NothingToRestoreError,
  PossiblyStaleError,
  RecoveryTimeoutError,
} from './errors.js'
import type { RecoveryTarget } from './targets.js'

export type { RecoveryTarget } from './targets.js'

export type RecoveryEvent =
  | { event: 'request-sent'; guardian: string; peerId: string; request: string; code: string }
  | { event: 'unreachable'; guardian: string; peerId: string; error: string }
  | { event: 'approved'; guardian: string; releaseAt: number }
  | { event: 'denied'; guardian: string; state: string }
  | { event: 'refused'; guardian: string; code: string; error: string }
  | { event: 'share-received'; guardian: string; have: number; need: number }
  | { event: 'key-rebuilt'; epoch: number; shares: number; badShares: number[] }
  | {
      event: 'heads-collected'
      answered: number
      needed: number
      version: number
      createdAt: number
      acceptedStale: boolean
    }
  | { event: 'bad-guardian'; guardian: string; chunk: string }
  | {
      event: 'restore-done'
      version: number
      createdAt: number
      files: { source: string; kind: string; path: string; size: number }[]
    }

export interface RecoveryOptions {
  readonly vaultId: Uint8Array
  readonly guardians: readonly RecoveryTarget[]
  readonly outDir: string
  readonly acceptStale?: boolean
  /** Give up waiting for approvals after this long; default 24 h. */
  readonly waitMs?: number
  /** Between polls of a guardian; default 1 s. */
  readonly pollMs?: number
  readonly onEvent?: (e: RecoveryEvent) => void
  readonly signal?: AbortSignal
}

export interface RecoveryResult {
  readonly version: number
  readonly createdAt: number
  readonly files: readonly RestoredFile[]
  /** The decrypted body's vault state (the vault key and settings), for --resume. */
  readonly body: ManifestBody
  readonly roster: Roster
  readonly dataKey: Uint8Array
  /** The restored version's manifest (verified), for --resume to extend. */
  readonly manifest: Manifest
}

const FINAL = new Set(['released', 'denied', 'vetoed', 'superseded', 'expired', 'refused'])
interface Tracked extends RecoveryTarget {
  state?: string
  reachable?: boolean
  share?: Uint8Array
}

/** Sleep, cut short by `signal`; the listener is removed either way (polls sleep thousands of times). */
const _sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })

export class Recovery {
  private readonly recoveryKey = generateEciesKeyPair()
  private readonly requestId: Uint8Array
  private readonly targets = new Map<string, Tracked>()
  private roster: Roster | undefined
  private node: Promise<KithNode> | undefined

  constructor(private readonly opts: RecoveryOptions) {
    this.requestId = recoveryRequestId(opts.vaultId, this.recoveryKey.publicKey)
    for (const g of opts.guardians) this.targets.set(toHex(g.peerId), { ...g })
  }

  get request(): string {
    return toHex(this.requestId)
  }

  private _say(e: RecoveryEvent): void {
    this.opts.onEvent?.(e)
  }

  /** One node (one peer identity) for the whole recovery: guardians know the recoverer by it, so
   * concurrent first callers must share the promise, never start a node each. */
  private _node(): Promise<KithNode> {
    this.node ??= generateKeyPair('Ed25519').then((privateKey) => createKithNode({ privateKey, listen: [] }))
    return this.node
  }

  async close(): Promise<void> {
    this.recoveryKey.secretKey.fill(0)
    const node = this.node
    this.node = undefined
    await node?.then(
      (n) => n.stop(),
      () => {},
    )
  }

  /**
   * Run the whole recovery. The rebuilt data key lives only in memory: zeroed here if anything fails,
   * and by the caller (after `--resume` used it) on success.
   */
  async run(): Promise<RecoveryResult> {
    const { key, roster } = await this._gatherKey()
    try {
      return await this._restore(key, roster)
    } catch (err) {
      key.fill(0)
      throw err
    }
  }

  private async _restore(key: Uint8Array, roster: Roster): Promise<RecoveryResult> {
    const keys = deriveDataKeys(key)
    const { head, holders, createdAt } = await this._newestHead(roster)
    const manifest = await this._manifest(head, holders)
    const body = openManifestBody(manifest, keys.manifestKey)
    const source = new GuardianChunks(
      await this._node(),
      this.opts.vaultId,
      holders,
      body.files.flatMap((f) => f.chunks),
      (g, chunk) => this._say({ event: 'bad-guardian', guardian: g.label, chunk }),
    )
    const files = await restoreVersion({ manifest, dataKeys: keys, chunks: source, outDir: this.opts.outDir })
    this._say({
      event: 'restore-done',
      version: manifest.version,
      createdAt,
      files: files.map((f) => ({ source: f.source, kind: f.kind, path: f.written, size: f.size })),
    })
    return { version: manifest.version, createdAt, files, body, roster, dataKey: key, manifest }
  }

  // ---- 1, 2: approvals and the key ----

  private async _poll(t: Tracked): Promise<void> {
    let reply: RecoveryReply
    try {
      reply = await requestRecovery(await this._node(), t, this.opts.vaultId, this.recoveryKey.publicKey, {
        signal: AbortSignal.timeout(15_000),
      })
    } catch (err) {
      if (isRemote(err)) {
        // the guardian answered with a refusal (e.g. it does not keep this vault): final for this run
        if (t.state !== 'refused')
          this._say({ event: 'refused', guardian: t.label, code: err.remoteCode, error: err.message })
        t.state = 'refused'
        t.reachable = true
      } else if (t.reachable !== false) {
        t.reachable = false
        this._say({
          event: 'unreachable',
          guardian: t.label,
          peerId: peerIdFromBytes(t.peerId).toString(),
          error: err instanceof KithError ? err.message : String(err),
        })
      }
      return
    }
    if (t.reachable !== true && t.state === undefined)
      this._say({
        event: 'request-sent',
        guardian: t.label,
        peerId: peerIdFromBytes(t.peerId).toString(),
        request: this.request,
        code: verificationCode(this.opts.vaultId, this.recoveryKey.publicKey, t.peerId),
      })
    t.reachable = true
    this._adoptRoster(reply.roster)
    const state = reply.state
    if (reply.sealedShare !== undefined && t.share === undefined) {
      try {
        const envelope = openShareEnvelope(
          openRelease(this.recoveryKey.secretKey, this.requestId, reply.sealedShare),
        )
        if (!equalBytes(envelope.vaultId, this.opts.vaultId))
          throw new ShareMismatchError('vault', envelope.x)
        t.share = envelope.bytes
        const have = [...this.targets.values()].filter((x) => x.share).length
        this._say({ event: 'share-received', guardian: t.label, have, need: envelope.k })
      } catch (err) {
        // a release that does not open or verify: this guardian's share is unusable for this request
        const code = err instanceof KithError ? err.code : 'INTERNAL'
        this._say({ event: 'refused', guardian: t.label, code, error: (err as Error).message })
        t.state = 'refused'
        return
      }
    }
    if (state !== t.state) {
      if (state === 'approved')
        this._say({ event: 'approved', guardian: t.label, releaseAt: reply.releaseAt ?? 0 })
      else if (state !== 'pending' && state !== 'released')
        this._say({ event: 'denied', guardian: t.label, state })
      t.state = state
    }
  }

  /** Keep the newest valid roster of this vault, and learn guardians the kit did not list. */
  private _adoptRoster(bytes: Uint8Array): void {
    let roster: Roster
    try {
      roster = openRoster(bytes)
    } catch {
      return // a roster that does not verify teaches nothing; the guardian's other answers still count
    }
    if (!equalBytes(roster.vaultId, this.opts.vaultId)) return
    if (this.roster !== undefined && roster.epoch <= this.roster.epoch) return
    this.roster = roster
    for (const g of roster.guardians) {
      const known = this.targets.get(toHex(g.peerId))
      if (known === undefined)
        this.targets.set(toHex(g.peerId), { label: g.label, peerId: g.peerId, addrs: g.addrs })
    }
  }

  private async _gatherKey(): Promise<{ key: Uint8Array; roster: Roster }> {
    const deadline = Date.now() + (this.opts.waitMs ?? 24 * 3600_000)
    let tried = -1
    for (;;) {
      const open = [...this.targets.values()].filter((t) => !FINAL.has(t.state ?? ''))
      await Promise.all(open.map((t) => this._poll(t)))
      const all = [...this.targets.values()]
      const shares = all.filter((t) => t.share !== undefined)
      const roster = this.roster
      const k = roster?.k ?? Number.POSITIVE_INFINITY
      if (roster !== undefined && shares.length >= k && shares.length > tried) {
        tried = shares.length
        try {
          const { key, badShares } = await combineShares(
            shares.map((t) => t.share!),
            { vaultId: this.opts.vaultId, epoch: roster.epoch },
          )
          this._say({
            event: 'key-rebuilt',
            epoch: roster.epoch,
            shares: shares.length,
            badShares: [...badShares],
          })
          return { key, roster }
        } catch (err) {
          if (!(err instanceof KithError)) throw err
          // shares that do not fit together: wait for more guardians, if any can still release
        }
      }
      const stillPossible = all.filter((t) => !FINAL.has(t.state ?? '')).length + shares.length
      if (roster !== undefined && stillPossible < roster.k) {
        const denied = all.filter((t) => FINAL.has(t.state ?? '') && t.state !== 'released').length
        throw new NotEnoughApprovalsError(shares.length, roster.k, `${denied} guardian(s) denied or refused`)
      }
      if (Date.now() > deadline) throw new RecoveryTimeoutError(shares.length, roster?.k ?? 0)
      if (this.opts.signal?.aborted) throw new RecoveryTimeoutError(shares.length, roster?.k ?? 0)
      await _sleep(this.opts.pollMs ?? 1000, this.opts.signal)
    }
  }

  // ---- 3: freshness ----

  private async _fetch(t: RecoveryTarget, req: FetchRequest, options?: AbortOptions): Promise<Uint8Array> {
    return fetchFromPeer(await this._node(), t, this.opts.vaultId, req, options)
  }

  private async _newestHead(
    roster: Roster,
  ): Promise<{ head: Head; holders: RecoveryTarget[]; createdAt: number }> {
    const members = roster.guardians.map((g) => this.targets.get(toHex(g.peerId)) ?? { ...g })
    const heads = await Promise.all(
      members.map(async (t): Promise<{ t: RecoveryTarget; head: Head | null } | undefined> => {
        try {
          const head = openHead(
            await this._fetch(t, { what: 'head' }, { signal: AbortSignal.timeout(10_000) }),
          )
          return equalBytes(head.vaultId, this.opts.vaultId) ? { t, head } : undefined
        } catch (err) {
          // "holds nothing yet" is an answer; silence or a bad head is not
          return isRemote(err, 'NOT_HELD') ? { t, head: null } : undefined
        }
      }),
    )
    const answered = heads.filter((h) => h !== undefined)
    const newest = answered.reduce<Head | undefined>(
      (best, a) => (a.head && (!best || a.head.version > best.version) ? a.head : best),
      undefined,
    )
    if (newest === undefined) throw new NothingToRestoreError()
    const needed = roster.guardians.length - roster.w + 1
    const holders = answered
      .filter((a) => a.head && equalBytes(a.head.manifestHash, newest.manifestHash))
      .map((a) => a.t)
    // the header's time, without trusting anything unsigned: read from the manifest itself
    const manifest = await this._manifest(newest, holders)
    const fresh = answered.length >= needed
    this._say({
      event: 'heads-collected',
      answered: answered.length,
      needed,
      version: newest.version,
      createdAt: manifest.createdAt,
      acceptedStale: !fresh,
    })
    if (!fresh && this.opts.acceptStale !== true)
      throw new PossiblyStaleError(answered.length, needed, newest.version)
    return { head: newest, holders, createdAt: manifest.createdAt }
  }

  private manifestCache: Manifest | undefined

  /** The manifest a head names, from the first holder that serves one matching it. */
  private async _manifest(head: Head, holders: readonly RecoveryTarget[]): Promise<Manifest> {
    if (this.manifestCache && equalBytes(this.manifestCache.hash, head.manifestHash))
      return this.manifestCache
    for (const t of holders) {
      try {
        const m = openManifest(
          await this._fetch(t, { what: 'manifest', version: head.version }),
          this.opts.vaultId,
        )
        if (equalBytes(m.hash, head.manifestHash)) {
          this.manifestCache = m
          return m
        }
      } catch {
        // try the next holder
      }
    }
    throw new NothingToRestoreError()
  }
}
