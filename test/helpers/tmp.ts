import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { isRemote } from '../../src/p2p/errors.js'

/**
 * Where a test's files go. The run (test/setup/run-scope.ts) points TMPDIR at tmpfs: most tests check
 * what kith does, not what a disk keeps. A test that checks fsync or crash behaviour asks for `durable`
 * and gets a directory on a real disk, and says so in its header.
 */
export interface TempOptions {
  readonly durable?: boolean
}

function _root(options: TempOptions): string {
  return options.durable ? (process.env['KITH_TEST_DISK_DIR'] ?? tmpdir()) : tmpdir()
}

const made: string[] = []

/** A fresh temp dir, removed after the current test. */
export async function tempDir(prefix = 'kith-test-', options: TempOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(_root(options), prefix))
  made.push(dir)
  return dir
}

/** Remove a test's dir; retried while a daemon it stopped may still be closing a file in it. */
const _remove = (d: string) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })

afterEach(async () => {
  await Promise.all(made.splice(0).map(_remove))
})

const madeForFile: string[] = []

/** A fresh temp dir that lives until the test file ends: for state shared by the steps of a story. */
export async function fileTempDir(prefix = 'kith-test-', options: TempOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(_root(options), prefix))
  madeForFile.push(dir)
  return dir
}

afterAll(async () => {
  await Promise.all(madeForFile.splice(0).map(_remove))
})

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'))
}

/** Expect `fn` to throw a KithError-style error with `code`; returns it. */
export async function expectCode(fn: () => unknown, code: string): Promise<Error & { code: string }> {
  try {
    await fn()
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.name}: ${e.code ?? ''} ${e.message}`)
    return e as Error & { code: string }
  }
  throw new Error(`expected code ${code}, but nothing was thrown`)
}

/** The code a peer refused `fn` with; fails if `fn` succeeds or fails any other way. */
export async function remoteCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
  } catch (err) {
    if (isRemote(err)) return err.remoteCode
    throw new Error(`expected a peer's refusal, got ${(err as Error).name}: ${(err as Error).message}`)
  }
  throw new Error("expected a peer's refusal, but the call succeeded")
}
