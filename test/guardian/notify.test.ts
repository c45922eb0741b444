/**
 * A guardian's human is told what needs them, where they look: a webhook (JSON), an ntfy topic (a phone
 * notification: plain text with a title) and a command (JSON on stdin). A recovery request reaches all
 * three, naming the vault, and never the phone code, a key or a share.
 */

import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
const seen: { path: string; headers: IncomingMessage['headers']; body: string }[] = []
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (d: Buffer) => {
    body += d.toString()
  })
  req.on('end', () => {
    seen.push({ path: req.url ?? '', headers: req.headers, body })
    res.end('ok')
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('notifications for the guardian’s human', () => {
  it('a recovery request reaches the webhook, the ntfy topic and the command, without the code', async () => {
    const dir = await fileTempDir()
    const out = join(dir, 'notices.jsonl')
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet, {
      notify: {
        webhook: `${base}/hook`,
        ntfy: `${base}/ntfy-topic`,
        command: `cat >> '${out}'; echo >> '${out}'`,
      },
    })
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out')))
    const code = (await r.codeFor(gs[0]!.peerId)).code
    await waitUntil(
      () => seen.filter((s) => s.path === '/hook').length >= 2 && seen.some((s) => s.path === '/ntfy-topic'),
    )
    const hook = JSON.parse(seen.find((s) => s.path === '/hook')!.body) as Record<string, unknown>
    expect(hook).toMatchObject({
      kind: 'recovery-request',
      vault: expect.any(String),
      title: expect.stringMatching(/^Recovery request for "/),
    })
    const ntfy = seen.find((s) => s.path === '/ntfy-topic')!
    expect(ntfy.headers['title']).toMatch(/^Recovery request for "/)
    expect(ntfy.headers['tags']).toBe('kith,recovery-request')
    expect(ntfy.body).toMatch(/Call your friend on a number you already know/)
    await waitUntil(async () => (await readFile(out, 'utf8').catch(() => '')).includes('recovery-request'))
    const all = seen.map((s) => s.body).join('\n') + (await readFile(out, 'utf8'))
    for (const secret of [code, code.replace('-', '')]) expect(all).not.toContain(secret)
    await r.approveAt(gs[0]!)
    await r.approveAt(gs[1]!)
    expect((await r.done).code).toBe(0)
  })
})
