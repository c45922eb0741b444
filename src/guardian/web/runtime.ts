/**
 * web.json: what the running daemon says about its local page, for `kith guardian open` and
 * `kith guardian status` (docs/format.md §web.json). Each run of the daemon deletes the old file first
 * and writes a new one: either where the page listens with a fresh 32-byte proof key, or why no page
 * runs. Whoever answers at the URL must prove it holds the key (an HMAC of a random challenge) before a
 * login link is made for it: a program that took the port after a crash gets no link.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, unlink } from 'node:fs/promises'
import { writeFileAtomic } from '../../disk/atomic.js'
import { lockHolder, processAlive } from '../../disk/lock.js'
import { duration } from '../../time/durations.js'
import { guardianPaths } from '../config.js'
import { PageNotProvenError, PageNotRunningError } from '../errors.js'

/** What web.json holds: a page that listens, or why none does. */
export type PageRuntime =
  | { readonly url: string; readonly key: string; readonly pid: number }
  | { readonly url: null; readonly listen: string; readonly error: string; readonly pid: number }

const PROOF_DOMAIN = 'kith/page-proof/v1:'

/** The page's answer to a challenge (both hex). */
export function pageProof(keyHex: string, challengeHex: string): string {
  return createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update(PROOF_DOMAIN + challengeHex)
    .digest('hex')
}

/** A fresh proof key for one run of the page. */
export const newPageKey = (): string => randomBytes(32).toString('hex')

/** Forget what an earlier run said (it may have crashed): called before anything is served. */
export async function clearPageRuntime(dataDir: string): Promise<void> {
  await unlink(guardianPaths(dataDir).web).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

export async function writePageRuntime(dataDir: string, runtime: PageRuntime): Promise<void> {
  await writeFileAtomic(guardianPaths(dataDir).web, `${JSON.stringify(runtime)}\n`)
}

/**
 * web.json as written by a daemon, or undefined (none, not ours to read, or with `live`, written by a
 * process that is gone: a crash leaves it behind).
 */
export async function readPageRuntime(
  dataDir: string,
  options: { live?: boolean } = {},
): Promise<PageRuntime | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(guardianPaths(dataDir).web, 'utf8'))
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object') return undefined
  const o = parsed as Record<string, unknown>
  const pid = typeof o['pid'] === 'number' && Number.isSafeInteger(o['pid']) ? o['pid'] : 0
  if (options.live === true && (pid <= 0 || !processAlive(pid))) return undefined
  if (
    typeof o['url'] === 'string' &&
    /^http:\/\/[^/]+$/.test(o['url']) &&
    /^[0-9a-f]{64}$/.test(String(o['key']))
  )
    return { url: o['url'], key: String(o['key']), pid }
  if (o['url'] === null && typeof o['error'] === 'string')
    return { url: null, listen: String(o['listen'] ?? ''), error: o['error'], pid }
  return undefined
}

/**
 * The running page's base URL, once whatever answers there has proven it is this guardian's page;
 * PAGE_NOT_RUNNING (saying why) otherwise.
 */
export async function runningPage(dataDir: string): Promise<string> {
  const runtime = await readPageRuntime(dataDir, { live: true })
  if (runtime === undefined)
    throw new PageNotRunningError(dataDir, {
      running: lockHolder(guardianPaths(dataDir).lock) !== undefined,
    })
  if (runtime.url === null)
    throw new PageNotRunningError(dataDir, { listen: runtime.listen, error: runtime.error })
  const challenge = randomBytes(32).toString('hex')
  const answer = await fetch(`${runtime.url}/proof?challenge=${challenge}`, {
    signal: AbortSignal.timeout(duration('pageCheck')),
    redirect: 'error',
  }).then(
    async (r) => (r.ok ? (await r.text()).trim() : undefined),
    () => undefined,
  )
  if (answer === undefined) throw new PageNotRunningError(dataDir, { url: runtime.url })
  const expected = pageProof(runtime.key, challenge)
  if (answer.length !== expected.length || !timingSafeEqual(Buffer.from(answer), Buffer.from(expected)))
    throw new PageNotProvenError(runtime.url, dataDir)
  return runtime.url
}
