/**
 * `kith guardian open`, beside the running daemon: find its page (web.json), make it prove it is this
 * guardian's page (runtime.ts), and make a one-time login link. The token is stored only as a hash and
 * travels in the link's fragment, which a browser never sends in a request: the page's script trades it
 * for the tab's session. To open a browser without putting the token on a command line (other users can
 * read those), the link goes into a 0600 redirect file inside the 0700 data directory, and the browser
 * is given that file.
 */
import { join } from 'node:path'
import { writeFileAtomic } from '../../disk/atomic.js'
import { withGuardianStore } from '../setup.js'
import { escapeHtml } from './html.js'
import { runningPage } from './runtime.js'

/** A one-time login link (`loginLink`) to the running page, and a 0600 file that redirects to it. */
export async function loginLink(dataDir: string, now: number): Promise<{ link: string; file: string }> {
  const url = await runningPage(dataDir)
  const token = await withGuardianStore(dataDir, (db) => db.logins.create(now))
  const link = `${url}/login#token=${token}`
  const file = join(dataDir, 'open.html')
  await writeFileAtomic(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escapeHtml(link)}"><title>kith guardian</title>\n`,
  )
  return { link, file }
}
