/**
 * A recovery on a new machine (docs/design.md §Recovery path, docs/recovery.md):
 * 1. a one-time recovery key; a request to every guardian, polled until k shares are released (key.ts);
 * 2. the shares combined into the data key, checked against the roster's commitment (in memory only);
 * 3. every guardian asked what it holds, has seen and has certified (freshness.ts): the newest proven
 *    version must be restored, and with too few answers the restore is refused unless `acceptStale`;
 * 4. that version fetched from the guardians that hold it and approved, in parallel, each chunk checked
 *    against its id (a guardian serving bad bytes is skipped and named), decrypted, verified and written
 *    atomically. `version` restores an older retained one on purpose instead.
 * Events go to `onEvent` as they happen; none carries a key, share or content.
 */

import { generateKeyPair } from '@libp2p/crypto/keys'
import { recoveryRequestId } from '../ceremony/request.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { generateEciesKeyPair } from '../crypto/ecies.js'
import { deriveDataKeys } from '../crypto/kdf.js'
import { KithError } from '../errors.js'
import { formatAgo } from '../format.js'
import { moduleLog, silentLog } from '../log.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { ChunkMissingError } from '../replica/errors.js'
import type { Head } from '../replica/head.js'
import { type Manifest, openManifestBody } from '../replica/manifest.js'
import type { ManifestBody } from '../replica/manifest-body.js'
import type { RestoredFile } from '../replica/restore.js'
import type { Roster } from '../replica/roster.js'
import { decodeVaultState } from '../replica/vault-state.js'
import { duration } from '../time/durations.js'
import { pollUntil } from './asking.js'
import {
  approvedBy,
  distruster,
  logEvent,
  type RecoveryContext,
  type RecoveryEvent,
  type RecoveryOptions,
  type Tracked,
} from './context.js'
import { closeRequest, type DoneReport } from './done.js'
import {
  NothingToRestoreError,
  OldNodeRecentError,
  PossiblyStaleError,
  StaleDatabaseLeftError,
  VersionNotFoundError,
  VersionUnavailableError,
} from './errors.js'
import { fetchManifest, restoreFromGuardians } from './fetch-version.js'
import { answersNeeded, collectAnswers, type Judgement, judge } from './freshness.js'
import { replayJournal, setAsideStale } from './journal.js'
import { gatherKey } from './key.js'

export type { RecoveryEvent, RecoveryOptions } from './context.js'
export type { RecoveryTarget } from './targets.js'

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

export class Recovery {
  private readonly ctx: RecoveryContext
  private node: Promise<KithNode> | undefined

  constructor(opts: RecoveryOptions) {
    const recoveryKey = generateEciesKeyPair()
    const log = moduleLog(opts.log ?? silentLog, 'recovery')
    const say = (e: RecoveryEvent) => {
      logEvent(log, e)
      opts.onEvent?.(e)
    }
    this.ctx = {
      opts,
      recoveryKey,
      requestId: recoveryRequestId(opts.vaultId, recoveryKey.publicKey),
      targets: new Map(opts.guardians.map((g) => [toHex(g.peerId), { ...g }])),
      roster: undefined,
      // one node (one peer identity) for the whole recovery: guardians know the recoverer by it, so
      // concurrent first callers must share the promise, never start a node each
      node: () => {
        this.node ??= generateKeyPair('Ed25519').then((privateKey) =>
          createKithNode({ privateKey, listen: [] }),
        )
        return this.node
      },
      say,
      distrust: distruster(say),
      log,
      p2pLog: moduleLog(opts.log ?? silentLog, 'p2p'),
      deadline: Date.now() + (opts.waitMs ?? duration('recoveryWait')),
    }
  }

  get request(): string {
    return toHex(this.ctx.requestId)
  }

  /**
   * The recovery is done: close its request at every guardian, signed with the restored vault key (from
   * the version's vault state) and this request's recovery key. Undefined if the version carries no vault
   * key (then the request stays open until it expires).
   */
  async finish(result: RecoveryResult): Promise<DoneReport | undefined> {
    if (result.body.vaultState === undefined) return undefined
    // a copy, wiped after: the body's own bytes are --resume's
    const key = Uint8Array.from(decodeVaultState(result.body.vaultState).vaultKey)
    try {
      return await closeRequest(this.ctx, key)
    } finally {
      key.fill(0)
    }
  }

  async close(): Promise<void> {
    this.ctx.recoveryKey.secretKey.fill(0)
    const node = this.node
    this.node = undefined
    await node?.then(
      (n) => n.stop(),
      () => undefined, // a node that failed to start has nothing to stop
    )
  }

  /**
   * Run the whole recovery. The rebuilt data key lives only in memory: zeroed here if anything fails,
   * and by the caller (after `--resume` used it) on success.
   */
  async run(): Promise<RecoveryResult> {
    const { key, roster } = await gatherKey(this.ctx)
    try {
      return await this._restore(key, roster)
    } catch (err) {
      key.fill(0)
      throw err
    }
  }

  private async _restore(key: Uint8Array, roster: Roster): Promise<RecoveryResult> {
    const keys = deriveDataKeys(key)
    const { manifest, holders } =
      this.ctx.opts.version !== undefined
        ? await this._older(this.ctx.opts.version, roster)
        : await this._newest(roster)
    const body = openManifestBody(manifest, keys.manifestKey)
    this.ctx.log.info({
      event: 'restoring',
      version: manifest.version,
      files: body.files.length,
      chunks: manifest.chunks.length,
      holders: holders.map((h) => h.label),
    })
    let files: RestoredFile[]
    try {
      files = await restoreFromGuardians({
        node: await this.ctx.node(),
        vaultId: this.ctx.opts.vaultId,
        holders,
        manifest,
        body,
        dataKeys: keys,
        outDir: this.ctx.opts.outDir,
        onBad: (g, chunk) =>
          this.ctx.distrust(
            g,
            'chunk',
            { code: 'CHUNK_INTEGRITY', reason: 'a chunk that does not match its id; not asked again' },
            chunk,
          ),
        p2pLog: this.ctx.p2pLog,
      })
    } catch (err) {
      // the version's holders stopped serving it: say which version, who holds it, and the way out
      if (err instanceof ChunkMissingError)
        throw new VersionUnavailableError(
          manifest.version,
          true,
          holders.map((h) => h.label),
          manifest.version - 1,
        )
      throw err
    }
    await this._replayJournals(manifest, body, files, answersNeeded(roster, this.ctx.opts.tolerate))
    this.ctx.say({
      event: 'restore-done',
      version: manifest.version,
      createdAt: manifest.createdAt,
      files: files.map((f) => ({ source: f.source, kind: f.kind, path: f.written, size: f.size })),
      // a source carried from an older version is said as of that one, never as of this
      ...(body.unread !== undefined ? { unread: body.unread.map((u) => ({ ...u })) } : {}),
    })
    return {
      version: manifest.version,
      createdAt: manifest.createdAt,
      files,
      body,
      roster,
      dataKey: key,
      manifest,
    }
  }

  /**
   * A restored database that a journal continues (a CLN node's) is brought up to the newest entry
   * the guardians prove. If that fails, the snapshot's file is renamed so nobody starts a node on it.
   */
  private async _replayJournals(
    manifest: Manifest,
    body: ManifestBody,
    files: readonly RestoredFile[],
    rule: { needed: number; tolerate: number },
  ): Promise<void> {
    const keys = body.vaultState === undefined ? [] : (decodeVaultState(body.vaultState).journals ?? [])
    for (const mark of manifest.marks ?? []) {
      const file = files.find((f) => f.source === mark.journal)
      const key = keys.find((k) => k.name === mark.journal)?.key
      if (file === undefined || key === undefined) continue
      try {
        const r = await replayJournal(this.ctx, [...this.ctx.targets.values()], mark, key, file.written, rule)
        // the event and its field keep the journal's historical name: the CLI prints them as they are
        this.ctx.say({
          event: 'stream-replayed',
          stream: mark.journal,
          from: mark.position,
          to: r.position,
          applied: r.applied,
        })
      } catch (err) {
        // a node started on this file would run an old channel state: it goes, and that is said
        const r = await setAsideStale(file.written)
        this.ctx.say({
          event: 'stale-database',
          journal: mark.journal,
          path: file.written,
          ...r,
          code: err instanceof KithError ? err.code : 'INTERNAL',
        })
        if (r.action === 'left') throw new StaleDatabaseLeftError(file.written, r.error, err)
        throw err
      }
    }
  }

  /** The newest version the answers prove, or a refusal that says why not. */
  private async _newest(roster: Roster): Promise<{ manifest: Manifest; holders: Tracked[] }> {
    const j = judge(await collectAnswers(this.ctx, roster), roster, this.ctx.opts.tolerate)
    const best = j.best
    if (best === undefined && j.newest === 0) throw new NothingToRestoreError()
    if (best === undefined || j.behind) {
      this._heads(j, j.newest, 0)
      throw new VersionUnavailableError(j.newest, j.newestCertified, j.newestHolders, best?.version ?? 0)
    }
    // too few answers to be sure is known now: refuse before waiting for anyone's human
    if (j.answered < j.needed && this.ctx.opts.acceptStale !== true) {
      this._heads(j, best.version, 0)
      throw new PossiblyStaleError(j.answered, j.needed, best.version, j.tolerate)
    }
    // taking the vault over while the old node may still run: only on the operator's word (--resume)
    const confirm = this.ctx.opts.confirmOldNodeStopped
    if (confirm !== undefined && j.lastHeard !== undefined && j.lastHeard.ago < duration('oldNodeRecent')) {
      this._heads(j, best.version, 0)
      if (!(await confirm(j.lastHeard)))
        throw new OldNodeRecentError(j.lastHeard.guardians, formatAgo(j.lastHeard.ago))
    }
    const holders = await this._approvedHolders(best, j.holders)
    const manifest = await this._manifest(best, holders)
    this._heads(j, best.version, manifest.createdAt)
    return { manifest, holders }
  }

  private _heads(j: Judgement, version: number, createdAt: number): void {
    this.ctx.say({
      event: 'heads-collected',
      answered: j.answered,
      needed: j.needed,
      tolerate: j.tolerate,
      version,
      createdAt,
      acceptedStale: j.answered < j.needed,
      newest: j.newest,
      certified: j.certified,
      ...(j.lastHeard !== undefined ? { lastHeard: j.lastHeard } : {}),
    })
  }

  /** The holders of `head` whose humans approved; waits (polling) until one has, or none still can. */
  private async _approvedHolders(head: Head, holders: readonly Tracked[]): Promise<Tracked[]> {
    const approved = () => {
      const yes = holders.filter(approvedBy)
      return yes.length > 0 ? yes : undefined
    }
    if (approved() === undefined)
      this.ctx.say({
        event: 'waiting-for-holder',
        version: head.version,
        holders: holders.map((h) => h.label),
      })
    const found = approved() ?? (await pollUntil(this.ctx, () => holders, approved))
    if (found !== undefined) return found
    // every holder denied or refused, or the wait is over: the version exists, its data cannot be had
    throw new VersionUnavailableError(
      head.version,
      true,
      holders.map((h) => h.label),
      head.version - 1,
    )
  }

  /** The manifest a head names, from the first approved holder that serves one matching it. */
  private async _manifest(head: Head, holders: readonly Tracked[]): Promise<Manifest> {
    for (const t of holders) {
      const m = await this._fetchManifest(t, head.version)
      if (m !== undefined && equalBytes(m.hash, head.manifestHash)) return m
      // it holds this head (signed), and served another manifest under it
      if (m !== undefined)
        this.ctx.distrust(t, 'manifest', {
          code: 'VERSION_CHAIN',
          reason: `a manifest of version ${head.version} that is not the one its own head names`,
        })
    }
    throw new VersionUnavailableError(
      head.version,
      false,
      holders.map((h) => h.label),
      head.version - 1,
    )
  }

  /** `--version N`: an older version on purpose, from any approved guardian that still keeps it. */
  private async _older(version: number, roster: Roster): Promise<{ manifest: Manifest; holders: Tracked[] }> {
    const j = judge(await collectAnswers(this.ctx, roster), roster, this.ctx.opts.tolerate)
    const approved = [...this.ctx.targets.values()].filter(approvedBy)
    const served = await Promise.all(approved.map((t) => this._fetchManifest(t, version)))
    let manifest: Manifest | undefined
    const holders: Tracked[] = []
    for (const [i, m] of served.entries()) {
      if (m === undefined || (manifest !== undefined && !equalBytes(m.hash, manifest.hash))) continue
      manifest = m
      holders.push(approved[i]!)
    }
    if (manifest === undefined) throw new VersionNotFoundError(version)
    this._heads(j, version, manifest.createdAt)
    this.ctx.say({ event: 'older-version', version, newest: j.newest })
    return { manifest, holders }
  }

  /** Version `version`'s manifest from `t`, verified; undefined if it has none, or what it sent is forged. */
  private async _fetchManifest(t: Tracked, version: number): Promise<Manifest | undefined> {
    return fetchManifest(await this.ctx.node(), t, this.ctx.opts.vaultId, version, {
      log: this.ctx.log,
      p2pLog: this.ctx.p2pLog,
      onBad: (why) => this.ctx.distrust(t, 'manifest', why),
    })
  }
}
