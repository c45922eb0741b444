/** Processes the benches start: the built CLI, guardian daemons, and waiting for their output. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const CLI = join(import.meta.dirname, '..', 'src', 'cli', 'main.js')

/** Run the CLI to completion; its stdout. */
export const kith = (...args: string[]): string =>
  execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })

/** An invite from the guardian in `dir` with no release delay (a bench approves and restores at once). */
export const inviteFrom = (dir: string, quota = '4GiB'): string =>
  JSON.parse(
    kith('guardian', 'invite', '--data-dir', dir, '--quota', quota, '--release-delay', '0s', '--json'),
  ).invite as string

/** Resolve with the first match of `pattern` in the process's output (group 1 if any). */
export function waitForLine(proc: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    // both streams, when piped: a daemon may say it on either, and a full pipe would block it
    const read = (d: Buffer) => {
      out += d.toString()
      if (process.env['KITH_BENCH_DEBUG']) process.stderr.write(d)
      const m = pattern.exec(out)
      if (m) resolve(m[1] ?? m[0])
    }
    proc.stdout!.on('data', read)
    proc.stderr?.on('data', read)
    proc.once('exit', () => reject(new Error(`process exited:\n${out}`)))
  })
}

/**
 * `[cmd, args]` to run `cmd args` on CPU `cpu` alone (through taskset), when `pin` is set; else as is.
 * A bench pins the two sides of a transfer to a core each, as two machines would be, so that neither
 * side's work takes the other's CPU.
 */
export function onCpu(pin: boolean, cpu: number, cmd: string, args: string[]): [string, string[]] {
  return pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]
}

/** Init a guardian in `dir` on a free loopback port and run it until killed (on CPU `cpu` alone, if given). */
export async function startGuardian(dir: string, cpu?: number): Promise<ChildProcess> {
  kith('guardian', 'init', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--json')
  const start = [CLI, 'guardian', 'start', '--data-dir', dir, '--no-web']
  const [cmd, args] = onCpu(cpu !== undefined, cpu ?? 0, process.execPath, start)
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  await waitForLine(proc, /listening on/)
  return proc
}

/** SIGTERM each process and wait for it to exit. */
export async function stopAll(procs: readonly ChildProcess[]): Promise<void> {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))))
}

/**
 * A 2-of-n vault (W = 2) in `work`/vault with the n guardians already running in `work`/g0…: each
 * invites it (its share released at approval), and it adds them all. Its directory.
 */
export function vaultOf(work: string, n: number): string {
  const vault = join(work, 'vault')
  kith('vault', 'init', '-k', '2', '-w', '2', '--data-dir', vault, '--json')
  const invites = Array.from({ length: n }, (_, i) => inviteFrom(join(work, `g${i}`)))
  writeFileSync(join(work, 'invites.txt'), invites.join('\n'), { mode: 0o600 })
  kith('vault', 'add-guardian', '--invite-file', join(work, 'invites.txt'), '--data-dir', vault, '--json')
  return vault
}

/** CPU seconds (user and system, all threads) process `pid` has used so far, from /proc; NaN once gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
