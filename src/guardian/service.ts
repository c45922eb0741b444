/**
 * The guardian daemon's lifecycle: a libp2p node serving enroll, roster, push and fetch for the vaults it
 * keeps, a gossip topic per vault carrying signed heads, and an anti-entropy round that compares heads
 * with the other guardians, so one that was offline catches up without the coordinator. Here it is
 * wired and run; its gauges, notices and vault lock are metrics.ts, notices.ts and vault-lock.ts.
 * start() and stop() are idempotent.
 */
import { stat, unlink } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { ed25519Signer } from '../crypto/ed25519.js'
import { ensurePrivateDir, writeFileAtomic } from '../disk/atomic.js'
import { LockedError } from '../disk/errors.js'
import { acquireLock } from '../disk/lock.js'
import { thrownText } from '../errors.js'
import { type Log, moduleLog, silentLog } from '../log.js'
import { Metrics } from '../metrics.js'
import type { NotifyTargets } from '../notify.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { loadOrCreatePeerKey, loadPeerKey } from '../p2p/peer-key.js'
import { sealAddressRecord } from '../p2p/peer-records.js'
import { peerIdBytes } from '../p2p/peers.js'
import type { ReleaseFile } from '../release/file.js'
import { openRoster, type Roster } from '../replica/roster.js'
import { systemClock } from '../time/clock.js'
import { duration } from '../time/durations.js'
import { knownPeer } from './access.js'
import { Arrivals } from './arrivals.js'
import { guardianPaths } from './config.js'
import type { GuardianContext } from './context.js'
import { AddressInUseError, GuardianKeyMissingError, GuardianRunningError } from './errors.js'
import { VaultGossip } from './gossip.js'
import { Later } from './later.js'
import { GUARDIAN_STREAM_WINDOW, ReadBudget, requestLimiters, STRANGER_ROSTER_BUDGET } from './limits.js'
import { MemoryBudget } from './memory.js'
import { refreshGauges } from './metrics.js'
import { Notices } from './notices.js'
import { keepOwnRelease } from './own-release.js'
import { serveProtocols } from './protocols.js'
import { ReleaseFiles } from './release-files.js'
import { RequestAttendance } from './request-slots.js'
import { DEFAULT_RETENTION, type RetentionPolicy } from './retention.js'
import { RoundPlan } from './round-plan.js'
import { GuardianStore, type VaultRow } from './store/index.js'
import { antiEntropy, onGossip } from './sync.js'
import { VaultLocks } from './vault-lock.js'
import { clearPageRuntime, newPageKey, writePageRuntime } from './web/runtime.js'
import { GuardianPage } from './web/server.js'

export interface GuardianOptions {
  readonly dataDir: string
  readonly listen?: readonly string[]
  readonly announce?: readonly string[]
  /** How often to compare heads with the other guardians; default 60 s. */
  readonly antiEntropyMs?: number
  readonly retention?: RetentionPolicy
  /** One human line per notable event (never secrets). */
  readonly onEvent?: (line: string) => void
  /** Structured log (docs/operator.md#logs); silent by default. */
  readonly log?: Log
  readonly now?: () => number
  /** Where to tell the guardian's human about what needs them (guardian.json `notify`). */
  readonly notify?: NotifyTargets
  /** Relays to keep a reservation on (multiaddrs ending in /p2p/<relay>). */
  readonly relays?: readonly string[]
  /** Ask the router for a port mapping (UPnP / NAT-PMP). */
  readonly upnp?: boolean
  /** How long a vault whose roster dropped this guardian is kept; default 7 days. */
  readonly removalGraceMs?: number
  /** Most new connections one host may open per second (see p2p/node.ts). */
  readonly inboundPerSecond?: number
  /** Open outbound TCP connections from this local address (a host of its own on a shared machine). */
  readonly dialFrom?: string
  /** Serve the local page (and /metrics) on this host:port; a busy port costs the page, not the guardian. */
  readonly web?: string
  /** On a busy page port, try this many after it (the default port: a second guardian on one computer). */
  readonly webNextPorts?: number
  /**
   * This guardian's own kith release file, to keep a copy of (docs/format.md §Release files): by
   * default the running executable when it is a release (release/file.ts); null keeps none.
   */
  readonly release?: ReleaseFile | null
}

export class Guardian {
  private ctx: GuardianContext | undefined
  private timer: NodeJS.Timeout | undefined
  private relayTimer: NodeJS.Timeout | undefined
  private stopIdleWatch: (() => void) | undefined
  private releaseLock: (() => void) | undefined
  private page: GuardianPage | undefined
  private readonly locks = new VaultLocks()
  /** Which vaults the anti-entropy rounds compare; new at each start, so a start compares them all. */
  private plan = new RoundPlan()
  private readonly rosters = new Map<string, Roster>()
  private readonly notices: Notices
  /** The background copy of this guardian's own release file (its failures are logged, never thrown). */
  keptOwnRelease: Promise<void> = Promise.resolve()
  /** What `/metrics` serves (docs/operator.md §Metrics). */
  readonly metrics = new Metrics()

  constructor(private readonly opts: GuardianOptions) {
    this.notices = new Notices({
      log: opts.log ?? silentLog,
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      ...(opts.notify ? { targets: opts.notify } : {}),
    })
  }

  private _ctx(): GuardianContext {
    if (this.ctx === undefined) throw new Error('guardian not started')
    return this.ctx
  }

  get peerId(): string {
    return this._ctx().node.peerId.toString()
  }

  get node(): KithNode {
    return this._ctx().node
  }

  get addrs(): string[] {
    return this._ctx()
      .node.getMultiaddrs()
      .map((a) => a.toString())
  }

  get dataDir(): string {
    return this.opts.dataDir
  }

  get db(): GuardianStore {
    return this._ctx().db
  }

  /** The local page's base URL, while it is served. */
  get pageUrl(): string | undefined {
    return this.page?.url
  }

  /**
   * Start serving. One daemon per data directory: a second one gets GUARDIAN_RUNNING (it would share the
   * identity and the database); a listen address already taken gets ADDRESS_IN_USE.
   */
  async start(): Promise<void> {
    if (this.ctx !== undefined) return
    await ensurePrivateDir(this.opts.dataDir)
    const paths = guardianPaths(this.opts.dataDir)
    let release: () => void
    try {
      release = acquireLock(paths.lock, 'guardian data directory')
    } catch (err) {
      throw err instanceof LockedError ? new GuardianRunningError(this.opts.dataDir, err.pid) : err
    }
    const db = GuardianStore.open(paths.db)
    try {
      await this._start(paths, db)
      this.releaseLock = release
    } catch (err) {
      db.close()
      release()
      throw /EADDRINUSE/.test(String(err instanceof Error ? `${err.message} ${String(err.cause)}` : err))
        ? new AddressInUseError(this.opts.listen ?? [], this.opts.dataDir)
        : err
    }
  }

  /** Refresh the gauges from the database: per vault (by its name), what is held and how full. */
  refreshMetrics(): void {
    const ctx = this.ctx
    if (ctx === undefined) return
    refreshGauges(this.metrics, ctx.db, ctx.now())
  }

  /** Stay connected to the relays named in guardian.json: a reconnected relay is reserved on again. */
  private async _keepRelays(): Promise<void> {
    const node = this.ctx?.node
    if (node === undefined) return
    for (const relay of this.opts.relays ?? []) {
      const at = relay.replace(/\/p2p-circuit$/, '')
      const peer = /\/p2p\/([^/]+)$/.exec(at)?.[1]
      if (peer !== undefined && node.getConnections().some((c) => c.remotePeer.toString() === peer)) continue
      await node
        .dial(multiaddr(at), { signal: AbortSignal.timeout(duration('relayCheck')) })
        .catch(() => undefined)
    }
  }

  private async _start(paths: ReturnType<typeof guardianPaths>, db: GuardianStore): Promise<void> {
    // what an earlier run said about its page is not true of this one (it may have crashed)
    await clearPageRuntime(this.opts.dataDir)
    // a guardian made by init keeps its identity: with its config but no key, it is refused, never made
    // anew (a new key is a guardian no friend knows); an in-process guardian in a bare folder makes one
    // only a config that is not there at all means a bare folder: one this user cannot read is not
    const made = await stat(paths.config).then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
    )
    const privateKey = made ? await loadPeerKey(paths.peerKey) : await loadOrCreatePeerKey(paths.peerKey)
    if (privateKey === undefined) throw new GuardianKeyMissingError(this.opts.dataDir)
    const node = await createKithNode({
      privateKey,
      // a guardian behind NAT is reached through its relays: listening on `/p2p-circuit`, it reserves on
      // each relay it is connected to (and again whenever it reconnects: see _keepRelays)
      ...(this.opts.listen || this.opts.relays
        ? {
            listen: [
              ...(this.opts.listen ?? ['/ip4/127.0.0.1/tcp/0']),
              ...(this.opts.relays && this.opts.relays.length > 0 ? ['/p2p-circuit'] : []),
            ],
          }
        : {}),
      serve: { upnp: this.opts.upnp === true },
      // a paused stream holds at most its window: members and strangers alike (limits.ts)
      streamWindow: GUARDIAN_STREAM_WINDOW,
      ...(this.opts.announce ? { announce: this.opts.announce } : {}),
      ...(this.opts.inboundPerSecond !== undefined ? { inboundPerSecond: this.opts.inboundPerSecond } : {}),
      ...(this.opts.dialFrom !== undefined ? { dialFrom: this.opts.dialFrom } : {}),
      // the vaults' own peers always find room; strangers share what is left (p2p/admission.ts)
      admission: {
        isMember: (peer) => this.ctx !== undefined && knownPeer(this.ctx, peer, 'members'),
        isMemberHost: (host) => this.ctx?.gossip.namesHost(host) === true,
      },
    })
    const log = this.opts.log ?? silentLog
    const now = this.opts.now ?? systemClock()
    const ctx: GuardianContext = {
      dataDir: this.opts.dataDir,
      db,
      node,
      sign: ed25519Signer(privateKey.raw.subarray(0, 32)),
      ownAddressRecord: () =>
        sealAddressRecord(
          privateKey,
          node.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/[^/]+$/, '')),
        ),
      retention: this.opts.retention ?? DEFAULT_RETENTION,
      removalGraceMs: this.opts.removalGraceMs ?? duration('removalGrace'),
      now,
      ...this.notices.voice(node.peerId.toString(), now),
      log,
      p2pLog: moduleLog(log, 'p2p'),
      metrics: this.metrics,
      exclusive: (vaultId, fn) => this.locks.exclusive(vaultId, fn),
      roster: (vault) => this._roster(vault),
      running: () => this.ctx === ctx,
      requestLimits: requestLimiters(),
      requestAttendance: new RequestAttendance(now()),
      memory: new MemoryBudget(),
      rosterBudget: new ReadBudget(STRANGER_ROSTER_BUDGET),
      gossip: new VaultGossip(node),
      later: new Later(),
      catchUps: new Map(),
      intakes: new Map(),
      arrivals: new Arrivals(),
      releaseFiles: new ReleaseFiles(this.opts.dataDir, { now, log }),
    }
    this.plan = new RoundPlan()
    // the vaults' rosters first: who is a member (admission, every handler) is read from them
    for (const v of db.vaults.all()) ctx.gossip.join(ctx.roster(v))
    this.ctx = ctx
    this.stopIdleWatch = await serveProtocols(ctx)
    ctx.gossip.onMessage((msg) => {
      const from = msg.type === 'signed' ? peerIdBytes(msg.from) : undefined
      void onGossip(ctx, msg.topic, msg.data, from)
    })
    // where friends reach it: rewritten when it changes (a relay reservation, a UPnP mapping)
    const writeAddrs = () => writeFileAtomic(paths.runtime, `${JSON.stringify(this.addrs)}\n`)
    await writeAddrs()
    node.addEventListener('self:peer:update', () => {
      if (this.ctx === ctx) void writeAddrs().catch(() => undefined)
    })
    this.timer = setInterval(
      () => void this.antiEntropy(),
      this.opts.antiEntropyMs ?? duration('antiEntropy'),
    )
    if (this.opts.relays && this.opts.relays.length > 0) {
      this.relayTimer = setInterval(() => void this._keepRelays(), duration('relayKeepAlive'))
      void this._keepRelays()
    }
    if (this.opts.web !== undefined) await this._servePage(ctx, this.opts.web)
    // never in the way of starting: a copy of its own executable is made in the background
    this.keptOwnRelease = keepOwnRelease(ctx, this.opts.release)
    void this.antiEntropy()
  }

  /**
   * The local page for this guardian's human; web.json tells `kith guardian open` where it is, with this
   * run's proof key, or why there is none (also said loudly here: the guardian runs on without it).
   */
  private async _servePage(ctx: GuardianContext, listen: string): Promise<void> {
    const proofKey = newPageKey()
    const page = new GuardianPage({
      db: ctx.db,
      now: ctx.now,
      listen,
      nextPorts: this.opts.webNextPorts ?? 0,
      proofKey,
      peerId: ctx.node.peerId.toString(),
      addrs: () => this.addrs,
      metrics: async () => {
        this.refreshMetrics()
        return { contentType: this.metrics.registry.contentType, text: await this.metrics.text() }
      },
      onEvent: (line) => ctx.say(line),
      dataDir: this.opts.dataDir,
      releaseFiles: ctx.releaseFiles,
    })
    try {
      await page.start()
    } catch (err) {
      const error =
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? 'another program has that port'
          : thrownText(err)
      ctx.log.warn({ event: 'page-not-served', listen, reason: error })
      ctx.say(
        `!! YOUR PAGE IS NOT RUNNING: it could not listen on ${listen} (${error}); the guardian runs on without it`,
      )
      await writePageRuntime(this.opts.dataDir, { url: null, listen, error, pid: process.pid })
      return
    }
    this.page = page
    await writePageRuntime(this.opts.dataDir, { url: page.url, key: proofKey, pid: process.pid })
  }

  /** One anti-entropy round now (also run on a timer). */
  async antiEntropy(): Promise<void> {
    const ctx = this.ctx
    if (ctx === undefined) return
    await antiEntropy(ctx, this.plan).catch((err: unknown) =>
      // a round that fails (a peer gone mid-way, the guardian stopping) is simply retried next time
      ctx.log.debug({
        event: 'anti-entropy-failed',
        reason: err instanceof Error ? err.message : String(err),
      }),
    )
  }

  async stop(): Promise<void> {
    const ctx = this.ctx
    if (ctx === undefined) return
    this.ctx = undefined
    if (this.timer) clearInterval(this.timer)
    if (this.relayTimer) clearInterval(this.relayTimer)
    this.relayTimer = undefined
    this.timer = undefined
    this.stopIdleWatch?.()
    this.stopIdleWatch = undefined
    ctx.later.close()
    await this.page?.close()
    this.page = undefined
    await clearPageRuntime(this.opts.dataDir).catch(() => undefined)
    await ctx.node.stop()
    // addrs.json only tells invites where a running daemon listens; it may already be gone
    await unlink(guardianPaths(this.opts.dataDir).runtime).catch(() => undefined)
    await Promise.allSettled([...this.locks.pending(), ...ctx.catchUps.values(), this.keptOwnRelease])
    ctx.db.close()
    this.releaseLock?.()
    this.releaseLock = undefined
  }

  private _roster(vault: VaultRow): Roster {
    const key = toHex(vault.vaultId)
    const cached = this.rosters.get(key)
    if (cached !== undefined && equalBytes(cached.bytes, vault.roster)) return cached
    const roster = openRoster(vault.roster)
    this.rosters.set(key, roster)
    return roster
  }
}
