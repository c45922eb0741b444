/**
 * Every process a test starts, in a process group of its own, stopped however the test ends: the file's
 * afterAll kills what is still running (group and all: a daemon's own children go too), and so does this
 * worker's exit. The run's global teardown (test/setup/run-scope.ts) is the last net.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { afterAll } from 'vitest'

const running = new Set<ChildProcess>()

function _killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return
  try {
    process.kill(-proc.pid, signal)
  } catch {
    // the group is gone already
  }
}

process.on('exit', () => {
  for (const p of running) _killGroup(p, 'SIGKILL')
})

afterAll(async () => {
  const left = [...running]
  await Promise.all(
    left.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve()
          p.once('exit', () => resolve())
          _killGroup(p, 'SIGKILL')
        }),
    ),
  )
})

/** `spawn`, in a new process group that this file's afterAll (or this worker's exit) kills. */
export function spawnTracked(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true })
  running.add(proc)
  proc.once('exit', () => running.delete(proc))
  return proc
}

/** Send `signal` to the process (not its group: a graceful stop is the process's own to pass on). */
export function signal(proc: ChildProcess, sig: NodeJS.Signals): void {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig)
}

/** Kill the process and every process in its group at once. */
export function killGroup(proc: ChildProcess): void {
  _killGroup(proc, 'SIGKILL')
}

export interface Finished {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Run a command to its end (tracked as above); its exit status and output, whatever the status. */
export function runTracked(
  cmd: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string } = {},
): Promise<Finished> {
  const { input, ...rest } = options
  const proc = spawnTracked(cmd, args, {
    ...rest,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  if (input !== undefined) proc.stdin!.end(input)
  return new Promise((resolve, reject) => {
    proc.once('error', reject)
    proc.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }))
  })
}
