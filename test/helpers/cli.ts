/**
 * The kith CLI run inside the test process: the same yargs commands, handlers and output as the binary,
 * without spawning a Node process per step. Each run's stdout and stderr lines are collected apart,
 * even when runs overlap (a recovery waiting while a guardian approves), by the async context they run in.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { format } from 'node:util'
import { runCli } from '../../src/cli/run.js'
import { recoveryCode, recoveryEvent } from './wait.js'

interface Sink {
  readonly out: string[]
  readonly err: string[]
  readonly onLine?: (line: string) => void
}

const sinks = new AsyncLocalStorage<Sink>()
let installed = false

function _install(): void {
  if (installed) return
  installed = true
  const log = console.log.bind(console)
  const error = console.error.bind(console)
  console.log = (...args: unknown[]) => {
    const sink = sinks.getStore()
    if (sink === undefined) return log(...args)
    const line = format(...args)
    sink.out.push(line)
    sink.onLine?.(line)
  }
  console.error = (...args: unknown[]) => {
    const sink = sinks.getStore()
    if (sink === undefined) return error(...args)
    sink.err.push(format(...args))
  }
}

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const _text = (lines: readonly string[]) => (lines.length ? `${lines.join('\n')}\n` : '')

/** Run one command line in-process; resolves with its exit status and output, whatever the status. */
export function cli(...argv: string[]): Promise<CliResult> {
  return startCli(...argv).done
}

/** One command line started in-process: what it said on stderr so far, and its end. */
export function startCli(...argv: string[]): { readonly done: Promise<CliResult>; stderr(): string } {
  _install()
  const sink: Sink = { out: [], err: [] }
  const done = sinks
    .run(sink, () => runCli(argv))
    .then((code) => ({ code, stdout: _text(sink.out), stderr: _text(sink.err) }))
  return { done, stderr: () => _text(sink.err) }
}

/** Run one command line in-process; its stdout, or a failure with its stderr. */
export async function kithIn(...argv: string[]): Promise<string> {
  const r = await cli(...argv)
  if (r.code !== 0) throw new Error(`kith ${argv.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** `kith … --json` in-process, parsed. */
export async function kithJson(...argv: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await kithIn(...argv, '--json'))
}

/** `kith vault status … --json` in-process, parsed: its exit status is its verdict (0 to 3), not a failure. */
export async function statusJson(...argv: string[]): Promise<Record<string, unknown>> {
  const r = await cli(...argv, '--json')
  if (r.code > 3) throw new Error(`kith vault status exited ${r.code}: ${r.stderr}`)
  const status = JSON.parse(r.stdout) as Record<string, unknown>
  const exits: Record<string, number> = { safe: 0, degraded: 1, 'at-risk': 2, fenced: 3 }
  if (exits[String(status['verdict'])] !== r.code)
    throw new Error(`status ${status['verdict']} exited ${r.code}`)
  return status
}

/** `--vault V --guardian <each address> --out D …`: a recovery from a vault id and guardians' addresses. */
export function recoverArgs(
  vault: string,
  guardians: readonly { readonly addr: string }[],
  out: string,
  ...extra: string[]
): string[] {
  return ['--vault', vault, '--guardian', ...guardians.map((g) => g.addr), '--out', out, ...extra]
}

/** `kith recover --json` running in-process: its events as they come, its exit awaited. */
export class RecoverRun {
  readonly events: Record<string, unknown>[] = []
  private readonly sink: Sink
  readonly done: Promise<CliResult>

  constructor(...args: string[]) {
    _install()
    this.sink = { out: [], err: [], onLine: (line) => this.events.push(JSON.parse(line)) }
    const argv = ['recover', '--json', '--poll', '100ms', ...args]
    this.done = sinks
      .run(this.sink, () => runCli(argv))
      .then((code) => ({ code, stdout: _text(this.sink.out), stderr: _text(this.sink.err) }))
  }

  get stderr(): string {
    return _text(this.sink.err)
  }

  /** The first event of this kind matching `where`, waiting for it. */
  event(kind: string, where?: (e: Record<string, unknown>) => boolean) {
    return recoveryEvent(this, kind, where)
  }

  /** The code and request this recovery shows for one guardian (by peer ID). */
  codeFor(peerId: string): Promise<{ request: string; code: string }> {
    return recoveryCode(this, peerId)
  }

  /** A guardian's human approves this recovery's request, with the code it shows for that guardian. */
  async approveAt(g: { readonly peerId: string; readonly dir: string }): Promise<void> {
    const c = await this.codeFor(g.peerId)
    await kithIn('guardian', 'approve', '--code', c.code, '--data-dir', g.dir)
  }

  /** `kith recover --vault V --guardian <each address> --out D …`; every one of them approves, in order. */
  static async approvedBy(
    vault: string,
    guardians: readonly { readonly peerId: string; readonly dir: string; readonly addr: string }[],
    out: string,
    ...extra: string[]
  ): Promise<RecoverRun> {
    const r = new RecoverRun(...recoverArgs(vault, guardians, out, ...extra))
    for (const g of guardians) await r.approveAt(g)
    return r
  }
}
