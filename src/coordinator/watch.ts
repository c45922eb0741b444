/**
 * `kith vault watch`: back up whenever a source changes. Sources are watched through their parent
 * directory (LND replaces channel.backup by rename, which a watch on the file itself would miss),
 * changes are debounced, backups never overlap, and a periodic round re-checks sources by size and
 * mtime (watches can miss events), drains the outbox and re-pushes the newest committed version to
 * guardians that lack it. A snapshot request left by a journal's writer (the CLN plugin after lost
 * writes: snapshot-request.ts) is answered at once by a backup. A source a backup cannot read is said and
 * carried (carry.ts); the watch goes on. stop() lets a running backup finish. A proven takeover (FENCED)
 * stops the watch for good: `failed` rejects with it.
 */
import { type FSWatcher, watch } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { toHex } from '../crypto/bytes.js'
import { acquireLockWaiting } from '../disk/lock.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { openManifest } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { runBackup, trimCommitted } from './backup.js'
import { FencedError } from './errors.js'
import { refuseIfFenced } from './fence-record.js'
import { vaultPaths } from './paths.js'
import { pushToGuardians } from './push.js'
import { journalsNeedSnapshot } from './snapshot.js'
import { pendingSnapshotRequests, SNAPSHOT_REQUEST_SUFFIX } from './snapshot-request.js'
import { failedSourceLine } from './source-health.js'

import type { Vault } from './vault.js'

export interface WatchOptions {
  /** Quiet time after the last change before backing up; default: the table's watchDebounce. */
  readonly debounceMs?: number
  /** How often to re-check sources and retry lagging guardians; default: the table's watchRetry. */
  readonly retryMs?: number
  readonly timeoutMs?: number
  /** One human line per event (never secrets). */
  readonly onEvent?: (line: string) => void
  /** Called after every backup or retry round (for health and incident alerts). */
  readonly afterRound?: () => Promise<void>
  /**
   * Runs what changes the vault (a backup, a retry) as the vault's one writer (exclusiveVault): the
   * watch holds the vault's lock only for that, so a `kith vault backup` (or another command) takes its
   * turn in between. Default: run directly (a vault opened with its lock).
   */
  readonly exclusive?: <T>(fn: () => Promise<T>) => Promise<T>
}

/** Run `fn` holding the vault's lock, waiting (up to `lockWait`) while another process holds it. */
export function exclusiveVault(dir: string): <T>(fn: () => Promise<T>) => Promise<T> {
  return async (fn) => {
    const release = await acquireLockWaiting(vaultPaths(dir).lock, 'vault', duration('lockWait'))
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

export class Watcher {
  private watchers: FSWatcher[] = []
  private debounce: NodeJS.Timeout | undefined
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private stopped = false
  private readonly seen = new Map<string, string>()
  private readonly failure = Promise.withResolvers<never>()
  /** Rejects when the watch stopped itself (this node was fenced); never resolves. */
  readonly failed: Promise<never> = this.failure.promise

  constructor(
    private readonly vault: Vault,
    private readonly opts: WatchOptions = {},
  ) {
    this.failed.catch(() => {}) // awaited by whoever runs the watch; never an unhandled rejection
  }

  private _say(line: string): void {
    this.opts.onEvent?.(line)
  }

  /** Sources a journal follows: replicated per transaction, snapshotted only to compact. */
  private _journaled(): Set<string> {
    return new Set(this.vault.db.journals.all().map((s) => s.source))
  }

  private _exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.opts.exclusive ? this.opts.exclusive(fn) : fn()
  }

  async start(): Promise<void> {
    const journaled = this._journaled()
    for (const s of this.vault.db.sources()) {
      if (journaled.has(s.name)) continue
      const isDir = s.kind === 'dir'
      const target = isDir ? s.path : dirname(s.path)
      const name = basename(s.path)
      const w = watch(target, { recursive: isDir }, (_event, file) => {
        // a file source's directory holds other files; only its own name (or its temp) matters
        if (isDir || file === null || file === name || String(file).startsWith(`${name}.`)) this._changed()
      })
      w.on('error', () => this._say(`watch on ${target} failed; falling back to periodic checks`))
      this.watchers.push(w)
    }
    this._watchRequests()
    await this._fingerprint()
    this.timer = setInterval(
      () => this._enqueue(() => this._round()),
      this.opts.retryMs ?? duration('watchRetry'),
    )
    // an outbox left by a previous run, or changes made while stopped, go out now
    this._enqueue(() => this._backup())
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const w of this.watchers) w.close()
    this.watchers = []
    if (this.debounce) clearTimeout(this.debounce)
    if (this.timer) clearInterval(this.timer)
    await this.running
  }

  /**
   * A journal's writer waits for the snapshot it asked for (lightningd is held meanwhile): a request is
   * answered at once, not at the next round. Without a streams/ directory (no journal yet) the rounds
   * still find requests.
   */
  private _watchRequests(): void {
    const dir = vaultPaths(this.vault.dir).journals
    let w: FSWatcher
    try {
      w = watch(dir, (_event, file) => {
        if (file !== null && String(file).endsWith(SNAPSHOT_REQUEST_SUFFIX))
          this._enqueue(() => this._answerRequests())
      })
    } catch {
      return
    }
    w.on('error', () => this._say(`watch on ${dir} failed; snapshot requests are answered at each round`))
    this.watchers.push(w)
  }

  /** The snapshot requests the newest committed version does not answer yet. */
  private _pendingRequests(): number {
    const newest = this.vault.db.newestCommitted()
    const marks = newest === undefined ? [] : (openManifest(newest.manifest).marks ?? [])
    return pendingSnapshotRequests(this.vault.dir, marks).length
  }

  /** Back up if a writer asked for a snapshot that no committed version gives yet (its deletion is no ask). */
  private async _answerRequests(): Promise<void> {
    if (this.stopped || this._pendingRequests() === 0) return
    this._say('a journal asked for a new snapshot: backing up now')
    await this._backup()
  }

  private _changed(): void {
    if (this.stopped) return
    if (this.debounce) clearTimeout(this.debounce)
    this.debounce = setTimeout(
      () => this._enqueue(() => this._backup()),
      this.opts.debounceMs ?? duration('watchDebounce'),
    )
  }

  /** Backups and rounds run one at a time; a change during a backup leads to one more. */
  private _enqueue(fn: () => Promise<void>): void {
    if (this.stopped) return
    this.running = this.running.then(fn).catch((err: unknown) => {
      this.vault.log.warn({ event: 'watch-round-failed', ...errorFields(err) })
      this._say(`error: ${err instanceof KithError ? `${err.message} [${err.code}]` : String(err)}`)
      if (err instanceof FencedError) {
        this.stopped = true
        this.failure.reject(err)
      }
    })
  }

  private async _backup(): Promise<void> {
    if (this.stopped) return
    await this._fingerprint()
    try {
      const timeout = this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}
      const release = await this.vault.releaseFile()
      const r = await this._exclusive(() => runBackup(this.vault, { ...timeout, release }))
      // the others were stored; the watch goes on, and status (AT-RISK) alerts until it is read again
      for (const f of r.failed) this._say(failedSourceLine(f))
      for (const d of r.drained) {
        if (d.committed) this._say(`outbox: version ${d.version} committed (${d.receipts} receipts)`)
      }
      const p = r.pushed
      if (p !== undefined) {
        this._say(
          p.committed
            ? `version ${p.version} committed: ${p.receipts} guardians hold it`
            : `version ${p.version} NOT committed: ${p.receipts} of ${p.quorum} receipts; kept in the outbox`,
        )
        for (const f of p.failures) this._say(`  not delivered to ${f.label}: ${f.error}`)
      }
    } finally {
      await this.opts.afterRound?.()
    }
    // a round's status probe may have recorded a proven takeover: this node stops
    refuseIfFenced(this.vault.db)
  }

  /** Periodic: back up if a source changed unseen; otherwise retry what is undelivered. */
  private async _round(): Promise<void> {
    // a journaled database is snapshotted when its entries since the last snapshot outweigh it
    const changed = await this._fingerprint()
    const compact = !changed && (await journalsNeedSnapshot(this.vault))
    // a request whose file event was missed (or that a failed round left unanswered)
    const requested = this._pendingRequests() > 0
    this.vault.log.debug({ event: 'watch-round', changed, compact, requested })
    if (changed || compact || requested) return this._backup()
    await this._exclusive(async () => {
      await this._retry()
      trimCommitted(this.vault)
    })
    await this.opts.afterRound?.()
    refuseIfFenced(this.vault.db)
  }

  /** Deliver the outbox, and the newest committed version to guardians that lack it. */
  private async _retry(): Promise<void> {
    for (const v of this.vault.db.outbox()) {
      const r = await pushToGuardians(this.vault, v)
      if (r.committed) this._say(`outbox: version ${v.version} committed (${r.receipts} receipts)`)
    }
    const newest = this.vault.db.newestCommitted()
    if (newest !== undefined) {
      const have = this.vault.db.receiptedVersions()
      if (this.vault.members().some((g) => (have.get(toHex(g.peerId)) ?? 0) < newest.version)) {
        const r = await pushToGuardians(this.vault, newest)
        if (r.failures.length === 0) this._say(`every guardian now holds version ${newest.version}`)
      }
    }
  }

  /** Record sources' size and mtime; true if any changed since the last call. */
  private async _fingerprint(): Promise<boolean> {
    let changed = false
    const journaled = this._journaled()
    for (const s of this.vault.db.sources()) {
      if (journaled.has(s.name)) continue
      // a source that is gone right now (mid-rename) is 'missing': its return is a change like any other
      const st = await stat(s.path).catch(() => undefined)
      const print = st ? `${st.size}:${st.mtimeMs}:${st.ino}` : 'missing'
      if (this.seen.has(s.name) && this.seen.get(s.name) !== print) changed = true
      this.seen.set(s.name, print)
    }
    return changed
  }
}
