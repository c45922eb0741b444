/**
 * The guardian's local page in real Chromium (Debian's `chromium`, driven by playwright-core), against
 * real processes: three guardian daemons and a running `kith recover` (the friends' other commands run
 * through the CLI in this process). A friend logs in
 * with the one-time link `kith guardian open` prints (the tab keeps the session), sees the request in plain
 * words, types a wrong code
 * (refused, counted), types the right one (approved, a countdown), and the recovery completes. Each page
 * state is saved as a screenshot under test-results/guardian-page/. Skipped, saying why, only where no
 * Chromium is installed; with KITH_REQUIRE_CHROMIUM=1 (.ci/run, which installs it) a missing Chromium
 * fails the run instead.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kithIn as kith } from '../helpers/cli.js'
import { fleet, type GuardianProcess, guardiansAndVault, type RecoverProcess } from '../helpers/daemons.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
if (CHROMIUM === undefined && process.env['KITH_REQUIRE_CHROMIUM'] === '1')
  throw new Error('KITH_REQUIRE_CHROMIUM=1 but no chromium here (apt-get install chromium)')
if (CHROMIUM === undefined)
  console.warn('skipping the browser test: no chromium here (apt-get install chromium)')

const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'guardian-page')
const { started, recover } = fleet()

describe.skipIf(CHROMIUM === undefined)("a friend approves on their guardian's page, in Chromium", () => {
  let browser: Browser
  let page: Page
  let gs: GuardianProcess[]
  let work: string
  let v: (...args: string[]) => string[]
  let r: RecoverProcess
  let asked: { request: string; code: string }
  let peers: string[]
  let original: Buffer
  let base: string
  /** Errors the page itself reported (a blocked asset under the CSP would show here). */
  const pageErrors: string[] = []
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  /**
   * Go to `url`. The page reloads itself when a countdown ends: a navigation of ours that meets that one
   * is aborted by Chromium (ERR_ABORTED), and is made again.
   */
  const visit = async (url: string) => {
    for (let tries = 1; ; tries++) {
      try {
        return await page.goto(url)
      } catch (err) {
        if (tries === 3 || !/ERR_ABORTED/.test(String(err))) throw err
      }
    }
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true })
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    })
    page = await browser.newPage({ viewport: { width: 900, height: 900 } })
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()))
    page.on('pageerror', (e) => pageErrors.push(e.message))
    ;({ gs, work, v } = await guardiansAndVault(3, 2, 2, started, { web: [0] }))
    base = JSON.parse(await readFile(join(gs[0]!.dir, 'web.json'), 'utf8')).url
    const scb = join(work, 'channel.backup')
    original = randomBytes(4000)
    await writeFile(scb, original)
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('backup'))
    await kith(...v('kit', '--out', join(work, 'kit')))
    peers = await Promise.all(gs.map(async (g) => (await g.status()).peerId))
    // the friend at guardian 0 keeps a short release delay, so the page's countdown is seen running out
    await kith('guardian', 'policy', '--release-delay', '4s', '--data-dir', gs[0]!.dir)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
  })

  it('without a login link the page shows nothing but how to open it', async () => {
    await visit(base)
    await expect.poll(() => page.locator('h2').first().textContent()).toContain("Open your guardian's page")
    expect(await page.content()).not.toContain('Recovery requests')
    await shot('01-login-needed')
  })

  it('a recovery asks; the friend logs in with the one-time link and sees the request in plain words', async () => {
    r = recover('--kit', join(work, 'kit.txt'), '--out', join(work, 'restored'))
    asked = await r.codeFor(peers[0]!)
    const { link } = JSON.parse(
      await kith('guardian', 'open', '--no-browser', '--json', '--data-dir', gs[0]!.dir),
    )
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login#token=[A-Za-z0-9_-]{43}$/)
    await page.goto(link)
    const card = page.locator(`[data-request="${asked.request}"]`)
    await expect.poll(() => card.locator('h3').textContent()).toMatch(/Someone is recovering/)
    // the token left the address bar; the session lives in this tab only
    expect(page.url()).toBe(`${base}/`)
    // plain words: the request id only under "Technical details", and never the code
    const visible = await page.locator('main').innerText()
    expect(visible).not.toContain(asked.request)
    expect(await page.content()).not.toContain(asked.code)
    await shot('02-request')
    // the link was for one login only
    const again = await browser.newPage()
    await again.goto(link)
    await expect.poll(() => again.locator('.flash.error').textContent()).toMatch(/used already/)
    await again.close()
  })

  it('a wrong code is refused and counted; nothing is approved', async () => {
    const wrong = asked.code === '000-000' ? '111-111' : '000-000'
    await page.fill(`#code-${asked.request}`, wrong)
    await page.click(`[data-request="${asked.request}"] button.primary`)
    await expect.poll(() => page.locator('.flash.error').textContent()).toMatch(/not right/)
    expect(await page.locator(`[data-request="${asked.request}"] .warn`).textContent()).toMatch(
      /One wrong code/,
    )
    const listed = JSON.parse(await kith('guardian', 'requests', '--json', '--data-dir', gs[0]!.dir))
    expect(listed.requests[0]).toMatchObject({ request: asked.request, state: 'pending', wrongCodes: 1 })
    await shot('03-wrong-code')
  })

  it('the right code approves; the page counts down the release delay', async () => {
    await page.fill(`#code-${asked.request}`, asked.code.replace('-', ' '))
    await page.click(`[data-request="${asked.request}"] button.primary`)
    await expect.poll(() => page.locator('.flash.ok').textContent()).toMatch(/^Approved/)
    await expect.poll(() => page.locator(`[data-request="${asked.request}"] [data-left]`).count()).toBe(1)
    const first = await page.locator('[data-left]').textContent()
    await expect
      .poll(() => page.locator('[data-left]').first().textContent(), { timeout: 5000 })
      .not.toBe(first)
    await shot('04-approved-countdown')
  })

  it('with a second approval the recovery completes, and the page says it is done with this share', async () => {
    await r.approveAt(peers[1]!, gs[1]!.dir)
    expect(await r.exitCode(60_000)).toBe(0)
    const done = await r.event('restore-done')
    const files = done['files'] as { path: string }[]
    expect(await readFile(files[0]!.path)).toEqual(original)
    await visit(base)
    await expect
      .poll(() => page.locator(`[data-request="${asked.request}"]`).innerText())
      .toMatch(/Your friend finished this recovery with your share/)
    await shot('05-released')
  })

  it('the history tells what happened, in plain words', async () => {
    await page.click('nav a[href="/history"]')
    const text = await page.locator('table').innerText()
    for (const words of [
      'Someone asked to recover it',
      'A wrong code was typed',
      'You approved a recovery',
      'Your share went to the recovery you approved',
      'You started keeping this backup',
    ])
      expect(text).toContain(words)
    await shot('06-history')
  })

  it('the page loaded only its own assets: nothing was blocked, nothing failed', () => {
    expect(pageErrors).toEqual([])
  })

  it('logging out ends the session', async () => {
    await visit(base)
    await page.click('nav button')
    await expect.poll(() => page.locator('h2').first().textContent()).toContain("Open your guardian's page")
    await visit(`${base}/history`)
    await expect.poll(() => page.locator('h2').first().textContent()).toContain("Open your guardian's page")
    expect(await page.content()).not.toContain('What happened')
  })
})
