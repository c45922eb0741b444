/**
 * Real guardian daemons, spawned through the compiled CLI, on 127.0.0.1, and the CLI spawned as a user
 * runs it. What only sets a story up (a guardian's init and invites, asking its status, a vault's init
 * and enrolment, a human's approval) runs through the same CLI in this process (cli.ts): the stories
 * spawn what they test across a process boundary, and not a process a step besides.
 */
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { inviteFromText } from '../../src/p2p/invite.js'
import { kithIn } from './cli.js'
import { keepBoundPort } from './local.js'
import { type Finished, runTracked, spawnTracked } from './procs.js'
import { fileTempDir } from './tmp.js'
import { recoveryCode, recoveryEvent } from './wait.js'

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js')

/** Run the CLI (spawned) with `env` added; its exit status and output, whatever the status. */
export function kithWith(env: Record<string, string>, ...args: string[]): Promise<Finished> {
  return runTracked(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
}

/** Run the CLI and return its exit code and output, whatever the code. */
export function kithResult(...args: string[]): Promise<Finished> {
  return kithWith({}, ...args)
}

/** Run the CLI; its stdout, or a failure with its stderr. */
export async function kith(...args: string[]): Promise<string> {
  const r = await kithResult(...args)
  if (r.code !== 0) throw new Error(`kith ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** `kith vault status … --json`, parsed: its exit status is its verdict (0 to 3), not a failure. */
export async function statusOf(...args: string[]): Promise<Record<string, unknown>> {
  const r = await kithResult('vault', 'status', ...args, '--json')
  if (r.code > 3) throw new Error(`kith vault status exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

export class GuardianProcess {
  proc: ChildProcess | undefined
  output = ''
  /** Where the current run's output starts, so waits never match an earlier run's lines. */
  private mark = 0

  /** Extra environment (e.g. KITH_CLOCK_SKEW_MS) and a file-size limit in KiB (a "full disk"). */
  env: Record<string, string> = {}
  fileSizeKb: number | undefined
  /** Serve the local page (on a port the kernel picks); the stories run without it. */
  web = false

  private constructor(readonly dir: string) {}

  /** A guardian on a port the kernel picks at its first start (no race for a "free" port), kept after. */
  static async init(dir: string): Promise<GuardianProcess> {
    await kithIn('guardian', 'init', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--json')
    return new GuardianProcess(dir)
  }

  async start(): Promise<void> {
    const args = [
      CLI,
      'guardian',
      'start',
      '--data-dir',
      this.dir,
      '--anti-entropy',
      '1s',
      ...(this.web ? ['--web-listen', '127.0.0.1:0'] : ['--no-web']),
    ]
    const env = { ...process.env, ...this.env }
    const proc =
      this.fileSizeKb === undefined
        ? spawnTracked(process.execPath, args, { env })
        : // writes past the limit fail with EFBIG (node ignores SIGXFSZ), as on a full disk
          spawnTracked(
            'sh',
            ['-c', `ulimit -f ${this.fileSizeKb * 2}; exec "$0" "$@"`, process.execPath, ...args],
            {
              env,
            },
          )
    this.proc = proc
    this.mark = this.output.length
    proc.stdout!.on('data', (d: Buffer) => {
      this.output += d.toString()
    })
    proc.stderr!.on('data', (d: Buffer) => {
      this.output += d.toString()
    })
    await this.waitFor(/listening on/)
    await this._keepPort()
  }

  /** The port the daemon said it bound, kept for its restarts (keepBoundPort). */
  private async _keepPort(): Promise<void> {
    const port = /listening on \/ip4\/127\.0\.0\.1\/tcp\/(\d+)/.exec(this.output.slice(this.mark))?.[1]
    if (port === undefined) throw new Error(`no bound port in:\n${this.output}`)
    await keepBoundPort(this.dir, `/ip4/127.0.0.1/tcp/${port}`)
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!pattern.test(this.output.slice(this.mark))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${this.output}`)
      if (this.proc?.exitCode !== null && this.proc?.exitCode !== undefined)
        throw new Error(`daemon exited:\n${this.output}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.proc
    if (proc === undefined || proc.exitCode !== null) return proc?.exitCode ?? null
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    proc.kill(signal)
    const code = await exited
    this.proc = undefined
    return code
  }

  async invite(quota = '100MiB') {
    return inviteFromText(await this.inviteText(quota))
  }

  async inviteText(quota = '100MiB'): Promise<string> {
    // no release delay: the stories approve and restore at once (a guardian's default is 24 h)
    const out = await kithIn(
      'guardian',
      'invite',
      '--data-dir',
      this.dir,
      '--quota',
      quota,
      '--release-delay',
      '0s',
      '--json',
    )
    return JSON.parse(out).invite as string
  }

  async status(): Promise<{
    peerId: string
    addrs: string[]
    vaults: { version: number; equivocation: boolean; bytesStored: number }[]
  }> {
    return JSON.parse(await kithIn('guardian', 'status', '--data-dir', this.dir, '--json'))
  }
}

/**
 * n guardian daemons (those named in `web` with their local page) and a k-of-n vault (write quorum w)
 * with all of them added; with `durable`, their files on a real disk (tmp.ts).
 */
export async function guardiansAndVault(
  n: number,
  k: number,
  w: number,
  started: GuardianProcess[],
  options: { web?: readonly number[]; durable?: boolean } = {},
) {
  const durable = { durable: options.durable ?? false }
  const gs = await Promise.all(
    Array.from({ length: n }, async () => GuardianProcess.init(await fileTempDir('kith-g-', durable))),
  )
  for (const i of options.web ?? []) gs[i]!.web = true
  started.push(...gs)
  await Promise.all(gs.map((g) => g.start()))
  const work = await fileTempDir('kith-node-', durable)
  const dir = join(work, 'vault')
  const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--json']
  await kithIn(...v('init', '-k', String(k), '-w', String(w)))
  // invites are secrets: from a file, as the docs tell operators (never on the command line)
  const invites = join(work, 'invites.txt')
  await writeFile(invites, (await Promise.all(gs.map((g) => g.inviteText('1GiB')))).join('\n'), {
    mode: 0o600,
  })
  await kithIn(...v('add-guardian', '--invite-file', invites))
  return { gs, work, dir, v }
}

/** `kith vault watch` as a process, its output (stdout and stderr) collected. */
export function spawnWatch(dir: string, ...args: string[]): { proc: ChildProcess; output: () => string } {
  let output = ''
  const proc = spawnTracked(process.execPath, [CLI, 'vault', 'watch', '--data-dir', dir, ...args])
  proc.stdout!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  proc.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  return { proc, output: () => output }
}

/** How to start a kith that is not this checkout's dist/ on this Node. */
export interface RecoverLaunch {
  readonly command: string
  readonly before: readonly string[]
  readonly env?: NodeJS.ProcessEnv
}

/** `kith recover --json` as a process: its events parsed line by line, its exit awaited. */
export class RecoverProcess {
  readonly events: Record<string, unknown>[] = []
  stderr = ''
  private stdout = ''
  readonly exited: Promise<number | null>
  readonly proc: ChildProcess

  /**
   * `kith recover --json` with `args`, run by this Node from dist/; or given a launch first, run as its
   * `command` with `before` the kith arguments (a release file, a chroot), in its environment.
   */
  constructor(first?: string | RecoverLaunch, ...rest: string[]) {
    const launch: RecoverLaunch =
      typeof first === 'object' ? first : { command: process.execPath, before: [CLI] }
    const args = typeof first === 'object' || first === undefined ? rest : [first, ...rest]
    this.proc = spawnTracked(
      launch.command,
      [...launch.before, 'recover', '--json', '--poll', '200ms', ...args],
      launch.env ? { env: launch.env } : {},
    )
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString()
      let nl = this.stdout.indexOf('\n')
      while (nl >= 0) {
        const line = this.stdout.slice(0, nl).trim()
        this.stdout = this.stdout.slice(nl + 1)
        if (line) this.events.push(JSON.parse(line))
        nl = this.stdout.indexOf('\n')
      }
    })
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)))
  }

  /** The first event of this kind matching `where`, waiting for it. */
  event(kind: string, where?: (e: Record<string, unknown>) => boolean) {
    return recoveryEvent(this, kind, where)
  }

  /** Its exit code, failing with its events and errors if it has not exited in time. */
  async exitCode(timeoutMs = 60_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`recover still running:\n${JSON.stringify(this.events)}\n${this.stderr}`)),
        timeoutMs,
      )
    })
    try {
      return await Promise.race([this.exited, late])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The code and request this recovery shows for one guardian (by peer ID). */
  codeFor(peerId: string): Promise<{ request: string; code: string }> {
    return recoveryCode(this, peerId)
  }

  /**
   * That guardian's human approves this recovery's request (`kith guardian approve`) by the code alone,
   * as they would; with `byId`, naming the request too.
   */
  async approveAt(peerId: string, dir: string, byId = false): Promise<void> {
    const { request, code } = await this.codeFor(peerId)
    await kithIn('guardian', 'approve', ...(byId ? [request] : []), '--code', code, '--data-dir', dir)
  }
}

/**
 * The processes one test file starts, killed after it: guardians it pushes to `started`, recoveries made
 * with `recover(...)`. Call at module level.
 */
export function fleet(): {
  started: GuardianProcess[]
  recover: (first?: string | RecoverLaunch, ...rest: string[]) => RecoverProcess
} {
  const started: GuardianProcess[] = []
  const recoveries: RecoverProcess[] = []
  afterAll(async () => {
    for (const r of recoveries) r.proc.kill('SIGKILL')
    await Promise.all(started.map((g) => g.stop('SIGKILL')))
  })
  return {
    started,
    recover: (first, ...rest) => {
      const r = new RecoverProcess(first, ...rest)
      recoveries.push(r)
      return r
    },
  }
}
