/**
 * Where the guardian's page is, from the side of a program that took its port: `kith guardian open` makes
 * a login link only for a page that proves (an HMAC of a fresh challenge, with the key of this run's
 * web.json) that it is this guardian's page; every run of the daemon starts with a fresh web.json; a page
 * that cannot listen is loud in the daemon's lines, in `kith guardian status` and in `open`; a second
 * guardian on one computer moves to a free port. In-process guardians, real HTTP on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { guardianOverview } from '../../src/guardian/setup.js'
import { loginLink } from '../../src/guardian/web/login.js'
import { cli } from '../helpers/cli.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'
import { expectCode } from '../helpers/tmp.js'

const { guardians } = localFleet()
const servers: Server[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
})

/** A program of someone else's on a 127.0.0.1 port: it answers everything, and notes what it was asked. */
async function impostor(answer: (path: string) => string): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    asked.push(req.url ?? '')
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(answer(req.url ?? ''))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked }
}

const guardian = async (options: { web: string | true; webNextPorts?: number }) => {
  const g = await LocalGuardian.create(options)
  guardians.push(g)
  await g.start()
  return g
}

const webJson = async (g: LocalGuardian) => JSON.parse(await readFile(join(g.dir, 'web.json'), 'utf8'))

describe("kith guardian open meets a program on the page's port", () => {
  it('a page that cannot prove it is this guardian gets no login link, whatever it answers', async () => {
    const g = await guardian({ web: true })
    const before = await stat(join(g.dir, 'web.json'))
    const answers = [
      (await impostor(() => 'ok')).url,
      // a plausible answer: a proof made with a key of its own
      (await impostor((p) => randomBytes(32).toString('hex') + p.slice(0, 0))).url,
    ]
    for (const url of answers) {
      // as a crashed daemon's web.json would say, with a program now holding its port
      await writeFile(
        join(g.dir, 'web.json'),
        `${JSON.stringify({ url, key: randomBytes(32).toString('hex'), pid: process.pid })}\n`,
      )
      await expectCode(() => loginLink(g.dir, Date.now()), 'PAGE_NOT_PROVEN')
      const res = await cli('guardian', 'open', '--no-browser', '--data-dir', g.dir)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain('[PAGE_NOT_PROVEN]')
      expect(res.stdout).not.toContain('token')
    }
    expect(before.mode & 0o777).toBe(0o600)
  })

  it('the challenge is fresh each time and the impostor never sees a token', async () => {
    const g = await guardian({ web: true })
    const real = await webJson(g)
    const seen = await impostor(() => 'x')
    // the impostor forwards to the real page's /proof: a replayed answer to another challenge fails
    const first = await (await fetch(`${real.url}/proof?challenge=${'1'.repeat(64)}`)).text()
    const replay = await impostor(() => first)
    for (const url of [seen.url, replay.url]) {
      await writeFile(join(g.dir, 'web.json'), `${JSON.stringify({ ...real, url })}\n`)
      await expectCode(() => loginLink(g.dir, Date.now()), 'PAGE_NOT_PROVEN')
    }
    expect([...seen.asked, ...replay.asked].every((p) => p.startsWith('/proof?challenge='))).toBe(true)
    expect(new Set(seen.asked).size).toBe(seen.asked.length)
    // the real page proves itself with the real file
    await writeFile(join(g.dir, 'web.json'), `${JSON.stringify(real)}\n`)
    expect((await loginLink(g.dir, Date.now())).link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login#token=/)
  })

  it("each run starts with a fresh web.json: a crashed run's file and key are gone", async () => {
    const g = await guardian({ web: true })
    const first = await webJson(g)
    await g.stop()
    const stale = await impostor(() => 'x')
    await writeFile(join(g.dir, 'web.json'), `${JSON.stringify({ ...first, url: stale.url })}\n`)
    await g.start()
    const second = await webJson(g)
    expect(second.url).toBe(g.guardian.pageUrl)
    expect(second.key).not.toBe(first.key)
    expect(second.pid).toBe(process.pid)
    expect((await loginLink(g.dir, Date.now())).link.startsWith(second.url)).toBe(true)
    expect(stale.asked).toEqual([])
  })

  it('a web.json whose daemon is gone is not a running page, for status and open', async () => {
    const g = await guardian({ web: true })
    const real = await webJson(g)
    const dead = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' }).pid!
    await writeFile(join(g.dir, 'web.json'), `${JSON.stringify({ ...real, pid: dead })}\n`)
    expect((await guardianOverview(g.dir)).page).toBeNull()
    await expectCode(() => loginLink(g.dir, Date.now()), 'PAGE_NOT_RUNNING')
  })
})

describe('a page whose port is taken', () => {
  it('on the default port, a second guardian serves on the next free one and says so', async () => {
    const holder = await impostor(() => 'x')
    const port = Number(new URL(holder.url).port)
    const g = await guardian({ web: `127.0.0.1:${port}`, webNextPorts: 20 })
    const url = new URL(g.guardian.pageUrl!)
    expect(Number(url.port)).toBeGreaterThan(port)
    expect(g.lines.join('\n')).toContain(`port ${port} is taken by another program; serving on ${url.port}`)
    expect((await guardianOverview(g.dir)).page).toEqual({ url: g.guardian.pageUrl })
    expect((await loginLink(g.dir, Date.now())).link.startsWith(g.guardian.pageUrl!)).toBe(true)
    expect(holder.asked).toEqual([])
  })

  it('on a port the friend chose, the guardian runs on and the missing page is loud everywhere', async () => {
    const holder = await impostor(() => 'x')
    const listen = `127.0.0.1:${new URL(holder.url).port}`
    const g = await guardian({ web: listen, webNextPorts: 0 })
    expect(g.guardian.pageUrl).toBeUndefined()
    expect(g.lines.join('\n')).toContain(`YOUR PAGE IS NOT RUNNING: it could not listen on ${listen}`)
    expect(await webJson(g)).toMatchObject({ url: null, listen, error: 'another program has that port' })
    expect((await guardianOverview(g.dir)).page).toEqual({ listen, error: 'another program has that port' })
    const status = await cli('guardian', 'status', '--data-dir', g.dir)
    expect(status.stdout).toContain(`YOUR PAGE IS NOT RUNNING: it could not listen on ${listen}`)
    const open = await cli('guardian', 'open', '--no-browser', '--data-dir', g.dir)
    expect(open.code).toBe(1)
    expect(open.stderr).toContain('[PAGE_NOT_RUNNING]')
    expect(open.stderr).toContain(`could not start on ${listen}`)
    expect(holder.asked).toEqual([])
  })
})
