/**
 * Several recovery requests waiting for one vault (someone besides the friend is asking): the page shows
 * them as one card with one code box, the friend's code finds the friend's request, and one button (or
 * `kith guardian deny --all-waiting`) denies every one still waiting, never an approved one. In-process
 * guardians (real libp2p, real SQLite), real `kith recover` runs, the real page over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginLink } from '../../src/guardian/web/login.js'
import { cli, kithIn, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'

const fleet = localFleet()
/** Approved, or released already (no release delay here: the recovery's next poll takes the share). */
const APPROVED = /^(approved|released)$/

describe('many requests waiting for one vault', () => {
  let g: LocalGuardian
  let base: string
  let session: string
  let vault: string
  const runs: RecoverRun[] = []
  const asked: { request: string; code: string }[] = []
  const view = async () => (await fetch(`${base}/view/`, { headers: { 'x-kith-session': session } })).text()
  const post = async (path: string, body: Record<string, string>) =>
    (
      await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'x-kith-session': session },
        body: new URLSearchParams(body),
      })
    ).text()
  const states = async () =>
    Object.fromEntries(
      (
        JSON.parse(await kithIn('guardian', 'requests', '--all', '--json', '--data-dir', g.dir)).requests as {
          request: string
          state: string
        }[]
      ).map((r) => [r.request, r.state]),
    )

  beforeAll(async () => {
    const made = await backedUpVault(2, 2, 2, fleet, { web: true, name: "Bob's node" })
    g = made.gs[0]!
    base = g.guardian.pageUrl!
    vault = made.vault
    for (let i = 0; i < 2; i++) {
      const r = new RecoverRun(...recoverArgs(made.vault, made.gs, await fileTempDir()))
      runs.push(r)
      asked.push(await r.codeFor(g.peerId))
    }
    const token = /#token=(.*)$/.exec((await loginLink(g.dir, Date.now())).link)![1]!
    const res = await fetch(`${base}/session`, { method: 'POST', body: new URLSearchParams({ token }) })
    session = ((await res.json()) as { session: string }).session
  }, 90_000)

  afterAll(() => {
    for (const r of runs) r.done.catch(() => undefined)
  })

  it('are one card: one code box, one button, no request-by-request instructions', async () => {
    const page = await view()
    expect(page).toContain('2 people are asking to recover “Bob&#39;s node”')
    expect(page.match(/<form method="post" action="\/approve">/g)).toHaveLength(1)
    expect(page).toContain('Deny all 2 waiting')
    expect(page).not.toContain('Someone is recovering')
    for (const a of asked) {
      expect(page).toContain(a.request)
      expect(page).not.toContain(a.code)
    }
  })

  it("the friend's code approves the friend's request only", async () => {
    const after = await post('/approve', { code: asked[1]!.code })
    expect(after).toContain('Approved.')
    const now = await states()
    expect(now[asked[1]!.request]).toMatch(APPROVED)
    expect(now[asked[0]!.request]).toBe('pending')
  })

  it('deny all waiting denies the others, never the approved one; the asker hears it', async () => {
    const vaultHex = /data-vault="([0-9a-f]+)"/.exec(await view())![1]!
    const after = await post('/deny-waiting', { vault: vaultHex })
    expect(after).toContain('Denied all 1.')
    const now = await states()
    expect(now[asked[1]!.request]).toMatch(APPROVED)
    expect(now[asked[0]!.request]).toBe('denied')
    expect(await runs[0]!.event('denied')).toMatchObject({ state: 'denied' })
    expect(await post('/deny-waiting', { vault: vaultHex })).toContain('No request was waiting any more')
  })

  it('kith guardian deny --all-waiting does the same from a terminal; a bare deny is a usage error', async () => {
    const bare = await cli('guardian', 'deny', '--data-dir', g.dir)
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('name one request to deny, or pass --all-waiting')
    const none = await kithIn('guardian', 'deny', '--all-waiting', '--data-dir', g.dir)
    expect(none).toContain('No request was waiting')
    const denied = JSON.parse(
      await kithIn('guardian', 'deny', '--all-waiting', '--vault', vault, '--json', '--data-dir', g.dir),
    )
    expect(denied).toEqual({ denied: [] })
    expect((await states())[asked[1]!.request]).toMatch(APPROVED)
  })
})
