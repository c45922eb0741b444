/**
 * Guardians running inside the test process: the real daemon class on real libp2p (127.0.0.1) and real
 * SQLite files, initialized like `kith guardian init` does, so the CLI (run in-process too) can approve,
 * deny and list on the same data dir. Many of them in one process are what scenario tests use; spawned
 * daemons are kept for the few end-to-end stories and the crashes that need a real SIGKILL.
 */
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { readGuardianConfig, writeGuardianConfig } from '../../src/guardian/config.js'
import { Guardian } from '../../src/guardian/service.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { closeLog, createLog, type Log, type LogLevel } from '../../src/log.js'
import type { NotifyTargets } from '../../src/notify.js'
import { inviteToText } from '../../src/p2p/invite.js'
import { kithJson, statusJson } from './cli.js'
import { fileTempDir } from './tmp.js'
import { localInvite } from './vault.js'

/**
 * After a guardian's first start on port 0, write the address it bound into guardian.json: restarts
 * reuse that port, as the addresses in the vault's roster expect.
 */
export async function keepBoundPort(dir: string, bound: string): Promise<void> {
  const config = await readGuardianConfig(dir)
  if (config.listen.some((a) => a.endsWith('/tcp/0')))
    await writeGuardianConfig(dir, { ...config, listen: [bound] })
}

/** How an in-process guardian is made: a JSON log file, a clock, where it notifies its human. */
export interface LocalOptions {
  readonly log?: boolean
  /** The JSON log's level (default info). */
  readonly logLevel?: LogLevel
  readonly now?: () => number
  readonly notify?: NotifyTargets
  /** Serve the local page: true on 127.0.0.1, on a port the kernel picks; or on this host:port. */
  readonly web?: boolean | string
  /** On a busy page port, try this many after it (as the default port does). */
  readonly webNextPorts?: number
  /** Its files on a real disk, for a test of crashes or fsync (tmp.ts); tmpfs otherwise. */
  readonly durable?: boolean
  /** A loopback address of its own to listen on and dial from (a host of its own); 127.0.0.1 otherwise. */
  readonly host?: string
  /** How often it compares heads with its fellows (default 1 s: a scenario's guardians are soon alike). */
  readonly antiEntropyMs?: number
}

export class LocalGuardian {
  /** Every human line the daemon said, across restarts. */
  readonly lines: string[] = []
  private daemon: Guardian | undefined
  /** The JSON log of the daemon's current run, closed when it stops. */
  private log: Log | undefined

  private constructor(
    readonly dir: string,
    private readonly options: {
      logFile?: string
      logLevel?: LogLevel
      now?: () => number
      notify?: NotifyTargets
      web?: boolean | string
      webNextPorts?: number
      host?: string
      antiEntropyMs?: number
    },
  ) {}

  /** Initialize a guardian in a fresh dir (listening on a port the kernel picks at first start). */
  static async create(options: LocalOptions = {}): Promise<LocalGuardian> {
    const dir = await fileTempDir('kith-g-', { durable: options.durable ?? false })
    await initGuardian(dir, { listen: [`/ip4/${options.host ?? '127.0.0.1'}/tcp/0`] })
    return new LocalGuardian(dir, {
      ...(options.log ? { logFile: join(dir, 'kith.log') } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.notify ? { notify: options.notify } : {}),
      ...(options.web ? { web: options.web } : {}),
      ...(options.webNextPorts !== undefined ? { webNextPorts: options.webNextPorts } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.antiEntropyMs !== undefined ? { antiEntropyMs: options.antiEntropyMs } : {}),
    })
  }

  get guardian(): Guardian {
    if (this.daemon === undefined) throw new Error('guardian not running')
    return this.daemon
  }

  get running(): boolean {
    return this.daemon !== undefined
  }

  get peerId(): string {
    return this.guardian.peerId
  }

  /** Its address with its peer ID, as `kith recover --guardian` takes it. */
  get addr(): string {
    return this.guardian.addrs[0]!
  }

  async start(): Promise<void> {
    if (this.daemon !== undefined) return
    if (this.options.logFile)
      this.log = createLog('guardian', { file: this.options.logFile, level: this.options.logLevel ?? 'info' })
    const config = await readGuardianConfig(this.dir)
    const daemon = new Guardian({
      dataDir: this.dir,
      listen: config.listen,
      antiEntropyMs: this.options.antiEntropyMs ?? 1000,
      // every peer of a scenario dials from 127.0.0.1, many times a second
      inboundPerSecond: 1000,
      onEvent: (line) => this.lines.push(line),
      ...(this.log ? { log: this.log } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
      ...(this.options.notify ? { notify: this.options.notify } : {}),
      ...(this.options.web ? { web: this.options.web === true ? '127.0.0.1:0' : this.options.web } : {}),
      ...(this.options.webNextPorts !== undefined ? { webNextPorts: this.options.webNextPorts } : {}),
      ...(this.options.host ? { dialFrom: this.options.host } : {}),
    })
    await daemon.start()
    this.daemon = daemon
    await keepBoundPort(this.dir, daemon.addrs[0]!.replace(/\/p2p\/.*$/, ''))
  }

  async stop(): Promise<void> {
    const daemon = this.daemon
    this.daemon = undefined
    await daemon?.stop()
    if (this.log !== undefined) closeLog(this.log)
    this.log = undefined
  }

  /** A one-time invite token for a vault, made in its store as `kith guardian invite` would. */
  invite(quota = 1e9, label = 'guardian'): string {
    return inviteToText(localInvite(this.guardian, quota, Date.now() + 3_600_000, label))
  }
}

/**
 * Between two recoveries of one test from 127.0.0.1: the requests an earlier one left open (at the
 * guardians it did not need) run out, as they would unanswered. Not denied: a network whose requests
 * its human denied is held out of its places for an hour (guardian/request-slots.ts).
 */
export function endOpenRequests(gs: readonly LocalGuardian[]): void {
  for (const g of gs) g.guardian.db.requests.expire(Date.now() + 365 * 86_400_000)
}

/** Guardians started in this process, stopped when the test file ends. */
export function localFleet(): { guardians: LocalGuardian[] } {
  const guardians: LocalGuardian[] = []
  afterAll(async () => {
    await Promise.all(guardians.map((g) => g.stop()))
  })
  return { guardians }
}

/** n in-process guardians and a k-of-n vault (write quorum w) with all of them added, through the CLI. */
export async function localVault(
  n: number,
  k: number,
  w: number,
  fleet: { guardians: LocalGuardian[] },
  options: LocalOptions & { readonly name?: string; readonly hosts?: readonly string[] } = {},
) {
  const gs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      LocalGuardian.create({ ...options, ...(options.hosts ? { host: options.hosts[i]! } : {}) }),
    ),
  )
  fleet.guardians.push(...gs)
  await Promise.all(gs.map((g) => g.start()))
  const work = await fileTempDir('kith-node-', { durable: options.durable ?? false })
  const dir = join(work, 'vault')
  const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir]
  await kithJson(
    ...v('init', '-k', String(k), '-w', String(w), ...(options.name ? ['--name', options.name] : [])),
  )
  // invites are secrets: from a file, as the docs tell operators (never on the command line)
  const invites = join(work, 'invites.txt')
  await writeFile(invites, gs.map((g, i) => g.invite(1e9, `friend ${i}`)).join('\n'), { mode: 0o600 })
  await kithJson(...v('add-guardian', '--invite-file', invites))
  return { gs, work, dir, v }
}

/**
 * A vault (as localVault) whose source is an LND channel backup, with version 1 committed. `replace(size)`
 * gives the file new random content the way LND writes it: a temp file, then a rename.
 */
export async function backedUpVault(
  n: number,
  k: number,
  w: number,
  fleet: { guardians: LocalGuardian[] },
  options: LocalOptions & { readonly name?: string } = {},
) {
  const made = await localVault(n, k, w, fleet, options)
  const scb = join(made.work, 'channel.backup')
  const replace = async (size: number) => {
    await writeFile(`${scb}.tmp`, randomBytes(size))
    await rename(`${scb}.tmp`, scb)
  }
  await replace(3000)
  await kithJson(...made.v('add-source', 'lnd-scb', scb))
  await kithJson(...made.v('backup'))
  const vault = (await statusJson(...made.v('status', '--offline')))['vault'] as string
  return { ...made, scb, vault, replace }
}
