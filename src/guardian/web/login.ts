/**
 * `kith guardian open`, beside the running daemon: find its page (web.json), check that it answers, and
 * make a one-time login link. The token is stored only as a hash; the link is for this computer's browser.
 * To open a browser without putting the token on a command line (other users can read those), the link
 * goes into a 0600 redirect file inside the 0700 data directory, and the browser is given that file.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../disk/atomic.js'
import { duration } from '../../time/durations.js'
import { guardianPaths } from '../config.js'
import { PageNotRunningError } from '../errors.js'
import { withGuardianStore } from '../setup.js'
import { escapeHtml } from './html.js'

/** The running page's base URL, checked to answer; PAGE_NOT_RUNNING otherwise. */
export async function runningPage(dataDir: string): Promise<string> {
  let url: string
  try {
    const parsed: unknown = JSON.parse(await readFile(guardianPaths(dataDir).web, 'utf8'))
    if (parsed === null || typeof parsed !== 'object' || !('url' in parsed) || typeof parsed.url !== 'string')
      throw new Error('no url')
    url = parsed.url
  } catch {
    throw new PageNotRunningError()
  }
  if (!/^http:\/\/[^/]+$/.test(url)) throw new PageNotRunningError()
  const answered = await fetch(`${url}/style.css`, {
    signal: AbortSignal.timeout(duration('pageCheck')),
  }).then(
    (r) => r.ok,
    () => false,
  )
  if (!answered) throw new PageNotRunningError(url)
  return url
}

/** A one-time login link (`loginLink`) to the running page, and a 0600 file that redirects to it. */
export async function loginLink(dataDir: string, now: number): Promise<{ link: string; file: string }> {
  const url = await runningPage(dataDir)
  const token = await withGuardianStore(dataDir, (db) => db.logins.create(now))
  const link = `${url}/login?token=${token}`
  const file = join(dataDir, 'open.html')
  await writeFileAtomic(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escapeHtml(link)}"><title>kith guardian</title>\n`,
  )
  return { link, file }
}
