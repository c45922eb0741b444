/**
 * The guardian's local page from an attacker's side, over plain HTTP against an in-process guardian
 * (real libp2p, real SQLite, the real page): no session without a one-time link, a link works once and
 * not after it expires, a forged or cross-site form changes nothing, a rebinding Host is refused, markup
 * in a vault's name stays text, and the headers lock the page to its own assets. Also the decisions a
 * friend makes there: deny, and keeping a vault a roster dropped.
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
  /** A logged-in browser's cookie and the CSRF token its page carries. */
  let cookie: string
  let csrf: string

  const login = async (): Promise<{ cookie: string; csrf: string }> => {
    const { link } = await loginLink(g.dir, clock)
    const res = await fetch(link, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const c = res.headers.get('set-cookie')!.split(';')[0]!
    const page = await (await fetch(`${base}/`, { headers: { cookie: c } })).text()
    return { cookie: c, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]! }
  }
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
    for (const path of ['/', '/history']) {
      const res = await fetch(`${base}${path}`)
      const text = await res.text()
      expect(text).toContain('kith guardian open')
      expect(text).not.toContain('Recovery requests')
      expect(text).not.toContain('onerror')
      expect(text).not.toContain(request)
    }
  })

  it('a made-up token, a used one and an expired one give no session', async () => {
    const made = await fetch(`${base}/login?token=${'A'.repeat(43)}`, { redirect: 'manual' })
    expect(made.status).toBe(403)
    expect(made.headers.get('set-cookie')).toBeNull()
    const { link } = await loginLink(g.dir, clock)
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303)
    const again = await fetch(link, { redirect: 'manual' })
    expect(again.status).toBe(403)
    expect(again.headers.get('set-cookie')).toBeNull()
    const late = await loginLink(g.dir, clock)
    clock += 11 * 60_000
    const expired = await fetch(late.link, { redirect: 'manual' })
    expect(expired.status).toBe(403)
    expect(expired.headers.get('set-cookie')).toBeNull()
  })

  it('a session cookie is HttpOnly and SameSite=Strict; every page is locked to its own assets', async () => {
    const { link } = await loginLink(g.dir, clock)
    const res = await fetch(link, { redirect: 'manual' })
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict; Path=\//)
    ;({ cookie, csrf } = await login())
    const page = await fetch(`${base}/`, { headers: { cookie } })
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).not.toMatch(/<script>|<style>|<[^>]+\son[a-z]+=/i)
  })

  it("markup in a vault's name is shown as text, never run", async () => {
    const html = await (await fetch(`${base}/`, { headers: { cookie } })).text()
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;')
    expect(html).not.toContain(EVIL)
    const history = await (await fetch(`${base}/history`, { headers: { cookie } })).text()
    expect(history).not.toContain(EVIL)
  })

  it('a rebinding Host (a name other than localhost) is refused, /metrics too', async () => {
    const { port } = new URL(base)
    for (const path of ['/', '/metrics', '/login?token=x'])
      expect((await httpGet(port, path, `evil.example:${port}`)).status).toBe(421)
    expect((await httpGet(port, '/metrics', `localhost:${port}`)).status).toBe(200)
  })

  it('forged forms change nothing: no token, a wrong token, another site, no session', async () => {
    const pending = { request, code: '000-000' }
    const tries = [
      await post('/deny', { request }, { cookie }),
      await post('/deny', { request, csrf: 'x'.repeat(43) }, { cookie }),
      await post('/deny', { request, csrf }, { cookie, origin: 'http://evil.example' }),
      await post('/deny', { request, csrf }, { cookie, 'sec-fetch-site': 'cross-site' }),
      await post('/deny', { request, csrf }),
      await post('/approve', { ...pending, csrf }, { cookie: 'kith_session=guess' }),
      await post('/deny', { request, csrf, pad: 'x'.repeat(5000) }, { cookie }),
    ]
    expect(tries.map((t) => t.status)).toEqual([403, 403, 403, 403, 403, 403, 403])
    expect(await state()).toMatchObject({ request, state: 'pending', wrongCodes: 0 })
  })

  it('deny from the page: nothing is released, the recovery hears it', async () => {
    const res = await post('/deny', { request, csrf }, { cookie })
    expect(res.status).toBe(303)
    expect(await state()).toMatchObject({ request, state: 'denied' })
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text()
    expect(page).toContain('Denied. Nothing was released.')
    expect(page).toContain('You denied it. Nothing was released.')
    expect(await r.event('denied')).toMatchObject({ state: 'denied' })
  })

  it('a vault a roster dropped waits out its grace period; the friend keeps it from the page', async () => {
    const v = g.guardian.db.vaults.all()[0]!
    g.guardian.db.vaults.scheduleRemoval(v.vaultId, v.epoch + 1, clock + 7 * 86_400_000, clock)
    let page = await (await fetch(`${base}/`, { headers: { cookie } })).text()
    expect(page).toContain('Its data is deleted in')
    expect(page).toContain('7 days')
    const vault = /name="vault" value="([0-9a-f]+)"/.exec(page)![1]!
    expect((await post('/keep', { vault, csrf }, { cookie })).status).toBe(303)
    page = await (await fetch(`${base}/`, { headers: { cookie } })).text()
    expect(page).toContain('you kept the data. Nothing will be deleted')
    expect(g.guardian.db.vaults.all()[0]!.removal).toMatchObject({ kept: true })
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
