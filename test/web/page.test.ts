/**
 * The guardian's local page from an attacker's side, over plain HTTP against an in-process guardian
 * (real libp2p, real SQLite, the real page): no session without a one-time link, a link works once and
 * not after it expires, a session is a header and never a cookie, a forged or cross-site form changes
 * nothing, a rebinding Host is refused, markup in a vault's name stays text, and the headers lock the page
 * to its own assets. Also the decisions a friend makes there: deny, and keeping a vault a roster dropped.
 * (In Chromium, the same page attacked from another 127.0.0.1 port: test/e2e/page-attack.test.ts.)
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginLink } from '../../src/guardian/web/login.js'
import { cli, kithIn, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const EVIL = '<img src=x onerror=alert(1)>"\'&'

describe("the guardian's local page, attacked", () => {
  let g: LocalGuardian
  let base: string
  let clock = Date.now()
  let r: RecoverRun
  let request: string
  /** A logged-in tab's session (what the page's script keeps in sessionStorage). */
  let session: string

  /** What the page's script does with a login link: trade the fragment's token for a session. */
  const trade = async (link: string) => {
    const token = /#token=(.*)$/.exec(link)![1]!
    return fetch(`${base}/session`, { method: 'POST', body: new URLSearchParams({ token }) })
  }
  const login = async (): Promise<string> => {
    const res = await trade((await loginLink(g.dir, clock)).link)
    expect(res.status).toBe(200)
    return ((await res.json()) as { session: string }).session
  }
  const view = (path = '/', headers: Record<string, string> = { 'x-kith-session': session }) =>
    fetch(`${base}/view${path}`, { headers })
  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...headers },
      body: new URLSearchParams(body).toString(),
    })
  const state = async () =>
    JSON.parse(await kithIn('guardian', 'requests', '--all', '--json', '--data-dir', g.dir)).requests[0]

  beforeAll(async () => {
    const made = await backedUpVault(2, 2, 2, fleet, { web: true, now: () => clock, name: EVIL })
    g = made.gs[0]!
    base = g.guardian.pageUrl!
    r = new RecoverRun(...recoverArgs(made.vault, made.gs, await fileTempDir()))
    request = (await r.codeFor(g.peerId)).request
  }, 60_000)

  afterAll(async () => {
    r.done.catch(() => undefined)
  })

  it('listens on 127.0.0.1 only, and tells kith guardian open where', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('without a session: no vault, no request, no history; only how to log in', async () => {
    for (const path of ['/', '/history', '/login']) {
      const text = await (await fetch(`${base}${path}`)).text()
      expect(text).toContain('kith guardian open')
      expect(text).not.toContain('Recovery requests')
      expect(text).not.toContain('onerror')
      expect(text).not.toContain(request)
    }
    for (const headers of [{}, { 'x-kith-session': 'A'.repeat(43) }, { 'x-kith-session': '' }] as Record<
      string,
      string
    >[]) {
      const res = await view('/', headers)
      expect(res.status).toBe(401)
      const text = await res.text()
      expect(text).toContain('kith guardian open')
      expect(text).not.toContain(request)
    }
  })

  it('a made-up token, a used one and an expired one give no session', async () => {
    const made = await trade(`${base}/login#token=${'A'.repeat(43)}`)
    expect(made.status).toBe(403)
    const { link } = await loginLink(g.dir, clock)
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login#token=[A-Za-z0-9_-]{43}$/)
    expect((await trade(link)).status).toBe(200)
    const again = await trade(link)
    expect(again.status).toBe(403)
    expect(await again.text()).not.toContain('session')
    const late = await loginLink(g.dir, clock)
    clock += 11 * 60_000
    expect((await trade(late.link)).status).toBe(403)
  })

  it('a session is a header the tab keeps, never a cookie; every page is locked to its own assets', async () => {
    const { link } = await loginLink(g.dir, clock)
    const res = await trade(link)
    expect(res.headers.get('set-cookie')).toBeNull()
    session = ((await res.json()) as { session: string }).session
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // the session carried as a cookie (what another program on this host can collect) opens nothing
    const asCookie = await fetch(`${base}/view/`, { headers: { cookie: `kith_session=${session}` } })
    expect(asCookie.status).toBe(401)
    const page = await view('/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.get('access-control-allow-origin')).toBeNull()
    const html = await page.text()
    expect(html).toContain('Recovery requests')
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).not.toMatch(/<script>|<style>|<[^>]+\son[a-z]+=/i)
    // a cross-origin fetch with the header would need a preflight: it is never granted
    const preflight = await fetch(`${base}/view/`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:1', 'access-control-request-headers': 'x-kith-session' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull()
  })

  it("markup in a vault's name is shown as text, never run", async () => {
    const html = await (await view('/')).text()
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;')
    expect(html).not.toContain(EVIL)
    const history = await (await view('/history')).text()
    expect(history).toContain('What happened')
    expect(history).not.toContain(EVIL)
  })

  it('a rebinding Host (a name other than localhost) is refused, /metrics and /proof too', async () => {
    const { port } = new URL(base)
    for (const path of ['/', '/metrics', '/login', `/proof?challenge=${'0'.repeat(64)}`, '/view/'])
      expect((await httpGet(port, path, `evil.example:${port}`)).status).toBe(421)
    expect((await httpGet(port, '/metrics', `localhost:${port}`)).status).toBe(200)
  })

  it('forged forms change nothing: no session, a wrong one, a cookie, another site or port, too big', async () => {
    const pending = { request, code: '000-000' }
    const other = 'http://127.0.0.1:1'
    const tries = [
      await post('/deny', { request }),
      await post('/deny', { request }, { 'x-kith-session': 'x'.repeat(43) }),
      await post('/deny', { request }, { cookie: `kith_session=${session}` }),
      await post('/deny', { request }, { 'x-kith-session': session, origin: 'http://evil.example' }),
      await post('/deny', { request }, { 'x-kith-session': session, origin: other }),
      await post('/deny', { request }, { 'x-kith-session': session, 'sec-fetch-site': 'same-site' }),
      await post('/deny', { request }, { 'x-kith-session': session, 'sec-fetch-site': 'cross-site' }),
      await post('/approve', pending, { 'x-kith-session': 'guess' }),
      await post('/deny', { request, pad: 'x'.repeat(5000) }, { 'x-kith-session': session }),
    ]
    expect(tries.map((t) => t.status)).toEqual([403, 403, 403, 403, 403, 403, 403, 403, 403])
    // the view refuses another origin's fetch too, even with the session
    expect((await view('/', { 'x-kith-session': session, 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect(await state()).toMatchObject({ request, state: 'pending', wrongCodes: 0 })
  })

  it('deny from the page: nothing is released, the recovery hears it', async () => {
    const res = await post('/deny', { request }, { 'x-kith-session': session })
    expect(res.status).toBe(200)
    expect(await state()).toMatchObject({ request, state: 'denied' })
    expect(await res.text()).toContain('Denied. Nothing was released.')
    const page = await (await view('/')).text()
    expect(page).not.toContain('Denied. Nothing was released.')
    expect(page).toContain('You denied it. Nothing was released.')
    expect(await r.event('denied')).toMatchObject({ state: 'denied' })
  })

  it('a vault a roster dropped waits out its grace period; the friend keeps it from the page', async () => {
    const v = g.guardian.db.vaults.all()[0]!
    g.guardian.db.vaults.scheduleRemoval(v.vaultId, v.epoch + 1, clock + 7 * 86_400_000, clock)
    let page = await (await view('/')).text()
    expect(page).toContain('Its data is deleted in')
    expect(page).toContain('7 days')
    const vault = /name="vault" value="([0-9a-f]+)"/.exec(page)![1]!
    expect((await post('/keep', { vault }, { 'x-kith-session': session })).status).toBe(200)
    page = await (await view('/')).text()
    expect(page).toContain('you kept the data. Nothing will be deleted')
    expect(g.guardian.db.vaults.all()[0]!.removal).toMatchObject({ kept: true })
  })

  it('logging out ends that session only', async () => {
    const other = await login()
    expect((await post('/logout', {}, { 'x-kith-session': other })).status).toBe(200)
    expect((await view('/', { 'x-kith-session': other })).status).toBe(401)
    expect((await view('/')).status).toBe(200)
  })

  it('kith guardian open says so when no page runs', async () => {
    await g.stop()
    const res = await cli('guardian', 'open', '--no-browser', '--data-dir', g.dir)
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('[PAGE_NOT_RUNNING]')
  })
})

/** A GET with a Host header of our choosing (fetch does not let one set it). */
async function httpGet(port: string, path: string, host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(port), path, headers: { host } }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0 })
    })
    req.on('error', reject)
    req.end()
  })
}
