/**
 * The page's "Your friend may need this to recover" section, over plain HTTP against an in-process
 * guardian (real libp2p, real SQLite, the real page): each kept kith release file is listed with what
 * machine it is for, its size and its full SHA-256, and its download needs the tab's session and gives
 * the exact bytes as an attachment of the right length. (Chromium clicking it: test/e2e/browser.test.ts.)
 */
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ReleaseFiles } from '../../src/guardian/release-files.js'
import { loginLink } from '../../src/guardian/web/login.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('kith release files on the guardian page', () => {
  const x64 = randomBytes(300_000)
  const arm = randomBytes(1000)
  let g: LocalGuardian
  let base: string
  let session: string

  const login = async () => {
    const token = /#token=(.*)$/.exec((await loginLink(g.dir, Date.now())).link)![1]!
    const res = await fetch(`${base}/session`, { method: 'POST', body: new URLSearchParams({ token }) })
    return ((await res.json()) as { session: string }).session
  }
  const get = (path: string, headers: Record<string, string> = { 'x-kith-session': session }) =>
    fetch(`${base}${path}`, { headers })

  it('lists each kept file: its name, its machine, its size and its full SHA-256', async () => {
    g = await LocalGuardian.create({ web: true })
    fleet.guardians.push(g)
    await g.start()
    base = g.guardian.pageUrl!
    session = await login()
    expect(await (await get('/view/')).text()).not.toContain('Your friend may need this to recover')
    const files = new ReleaseFiles(g.dir)
    const parts = async function* (b: Uint8Array) {
      yield b
    }
    await files.receive(
      { name: 'kith-0.1.0-linux-x64', sha256: sha(x64), size: x64.length },
      { from: 'self' },
      parts(x64),
    )
    await files.receive(
      { name: 'kith-0.1.0-linux-arm64', sha256: sha(arm), size: arm.length },
      { from: 'self' },
      parts(arm),
    )
    const page = await (await get('/view/')).text()
    expect(page).toContain('Your friend may need this to recover')
    expect(page).toContain("compare it with the hash on your friend's recovery kit")
    expect(page).toContain('kith-0.1.0-linux-x64')
    expect(page).toContain('a PC or laptop')
    expect(page).toContain('a Raspberry Pi or other 64-bit ARM computer')
    expect(page).toContain('293.0 KiB')
    expect(page).toContain(sha(x64))
    expect(page).toContain(sha(arm))
    expect(page).toContain(`href="/view/release/${sha(x64)}" data-download="kith-0.1.0-linux-x64"`)
  })

  it('the download gives the exact bytes, as an attachment named by the release, of the right length', async () => {
    const res = await get(`/view/release/${sha(x64)}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="kith-0.1.0-linux-x64"')
    expect(res.headers.get('content-length')).toBe(String(x64.length))
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), x64)).toBe(0)
  })

  it('the download needs the login: no session, a made-up one or another origin get nothing', async () => {
    for (const headers of [
      {},
      { 'x-kith-session': 'A'.repeat(43) },
      { cookie: `kith_session=${session}` },
      { 'x-kith-session': session, 'sec-fetch-site': 'cross-site' },
      { 'x-kith-session': session, origin: 'http://evil.example' },
    ] as Record<string, string>[]) {
      const res = await get(`/view/release/${sha(x64)}`, headers)
      expect(res.status).toBe(403)
      const body = Buffer.from(await res.arrayBuffer())
      expect(body.includes(x64.subarray(0, 64))).toBe(false)
    }
  })

  it('only a file kept under its hash is served: an unknown hash or a path is not found', async () => {
    expect((await get(`/view/release/${'ab'.repeat(32)}`)).status).toBe(404)
    for (const path of [
      '/view/release/kith-0.1.0-linux-x64',
      '/view/release/..%2F..%2Fguardian.json',
      '/view/release/',
    ])
      expect((await get(path)).status).toBe(404)
  })
})
