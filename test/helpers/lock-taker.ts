/**
 * A kith lock taken by a process of its own, through the compiled disk/lock.ts (`npm test` builds it
 * first): the process loads, says `ready`, and takes the lock only when told, so many can try at one
 * instant; it answers `held <pid>` or `busy <holder's pid>`, and lets go when told (`released`) or dies
 * with its process. Every step waits for the line it expects, never for a chosen time.
 */
import type { ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { killGroup, spawnTracked } from './procs.js'

const ROOT = join(import.meta.dirname, '..', '..')
const COMPILED = join(ROOT, 'dist', 'src', 'disk', 'lock.js')

const _script = (path: string) => `
import { createInterface } from 'node:readline'
import { acquireLock } from ${JSON.stringify(COMPILED)}
let release
const say = (line) => process.stdout.write(line + '\\n')
say('ready')
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'take') {
    try {
      release = acquireLock(${JSON.stringify(path)}, 'vault')
      say('held ' + process.pid)
    } catch (err) {
      if (err.code !== 'VAULT_BUSY') throw err
      say('busy ' + err.pid)
    }
  } else if (line === 'release') {
    release()
    say('released')
  }
}
`

/** What one try to take the lock came to. */
export type TakeResult = { readonly held: true } | { readonly held: false; readonly holder: number }

interface Waiter {
  readonly pattern: RegExp
  /** The first line that may answer: lines said before the question do not. */
  readonly from: number
  readonly resolve: (line: string) => void
}

export class LockTaker {
  private readonly lines: string[] = []
  private partial = ''
  private err = ''
  private waiters: Waiter[] = []
  private readonly exited: Promise<void>

  private constructor(private readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n')
      this.partial = parts.pop()!
      this.lines.push(...parts)
      this.waiters = this.waiters.filter((w) => !this._answer(w))
    })
    proc.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString()
    })
    this.exited = new Promise((r) => proc.once('exit', () => r()))
  }

  /** A process that will take the lock at `path` when told, once it has said it is ready. */
  static async start(path: string): Promise<LockTaker> {
    if (statSync(COMPILED).mtimeMs < statSync(join(ROOT, 'src', 'disk', 'lock.ts')).mtimeMs)
      throw new Error('dist/src/disk/lock.js is older than src/disk/lock.ts: run `npm run build` first')
    const proc = spawnTracked(process.execPath, ['--input-type=module', '-e', _script(path)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const taker = new LockTaker(proc)
    await taker._said(/^ready$/)
    return taker
  }

  get pid(): number {
    return this.proc.pid!
  }

  /** Tell it to take the lock now; resolves when it says whether it did. */
  async take(): Promise<TakeResult> {
    const answer = this._said(/^(held|busy) -?\d+$/)
    this.proc.stdin!.write('take\n')
    const [word, pid] = (await answer).split(' ')
    return word === 'held' ? { held: true } : { held: false, holder: Number(pid) }
  }

  /** Tell it to let go; resolves once it has. */
  async release(): Promise<void> {
    const done = this._said(/^released$/)
    this.proc.stdin!.write('release\n')
    await done
  }

  /** SIGKILL it (a crash); resolves once it is reaped, and the kernel has dropped its locks with it. */
  async kill(): Promise<void> {
    killGroup(this.proc)
    await this.exited
  }

  /** The next line matching `pattern` it says from now on; a failure if it ends first. */
  private _said(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ pattern, from: this.lines.length, resolve })
      void this.exited.then(() =>
        reject(
          new Error(
            `lock taker ${this.pid} ended without ${pattern}:\n${this.lines.join('\n')}\n${this.err}`,
          ),
        ),
      )
    })
  }

  /** Resolve `w` if a line since its question answers it. */
  private _answer(w: Waiter): boolean {
    const line = this.lines.slice(w.from).find((l) => w.pattern.test(l))
    if (line !== undefined) w.resolve(line)
    return line !== undefined
  }
}
