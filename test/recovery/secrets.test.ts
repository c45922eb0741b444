/**
 * No secret in any log or output: a full backup and recovery (with --resume) with structured logs on, at
 * their most talkative level (trace: every component's and p2p/'s lines), then every daemon's and
 * command's output and every log file is searched for the data keys, the shares, the vault secret key,
 * the invite secrets and the sample content, as raw hex, base64 and text forms; and every log file and
 * guardian line for the phone codes, which only the recovering terminal may show.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { readKeyFile } from '../../src/coordinator/vault-key-file.js'
import { u64be } from '../../src/crypto/bytes.js'
import { xchachaOpen } from '../../src/crypto/xchacha.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { inviteFromText } from '../../src/p2p/invite.js'
import { openShareEnvelope, shareEnvelopeToText } from '../../src/shares/share-envelope.js'
import { cli, RecoverRun } from '../helpers/cli.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'

const fleet = localFleet()

/** Every way a secret could show up in text. */
const forms = (b: Uint8Array): string[] => {
  const buf = Buffer.from(b)
  return [buf.toString('hex'), buf.toString('base64'), buf.toString('base64url')].filter(
    (s) => s.length >= 16,
  )
}

async function dataKeys(dir: string): Promise<Uint8Array[]> {
  const { kek } = await readKeyFile(vaultPaths(dir).key, dir)
  const db = new Database(vaultPaths(dir).db, { readonly: true })
  try {
    const rows = db.prepare('SELECT from_epoch, nonce, sealed FROM data_keys ORDER BY from_epoch').all() as {
      from_epoch: number
      nonce: Buffer
      sealed: Buffer
    }[]
    return rows.map((r) => xchachaOpen(kek, r.nonce, r.sealed, u64be(r.from_epoch), 'data key'))
  } finally {
    db.close()
  }
}

describe('secrets never reach a log or an output', () => {
  it('a full backup and recovery with logs on leaves no key, share, invite secret or content in them', async () => {
    const outputs: string[] = []
    const kith = async (...args: string[]) => {
      const r = await cli(...args)
      outputs.push(r.stdout, r.stderr)
      if (r.code !== 0) throw new Error(`kith ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
      return r.stdout
    }
    const gs = await Promise.all([0, 1, 2].map(() => LocalGuardian.create({ log: true, logLevel: 'trace' })))
    fleet.guardians.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    const work = await fileTempDir('kith-node-')
    const dir = join(work, 'vault')
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--json', '--log-level', 'trace']
    await kith(...v('init', '-k', '2', '-w', '2'))
    // the invite is shown once, on purpose, to the guardian's friend; it must appear nowhere else
    const invites = gs.map((g) => g.invite())
    await kith(...v('add-guardian', ...invites))
    const scb = join(work, 'channel.backup')
    const hsm = join(work, 'hsm_secret')
    await writeFile(scb, randomBytes(4000))
    await writeFile(hsm, randomBytes(32))
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('add-source', 'file', hsm, '--name', 'hsm_secret'))
    await kith(...v('backup'))
    await writeFile(`${scb}.tmp`, randomBytes(4100))
    await rename(`${scb}.tmp`, scb)
    await kith(...v('backup'))
    await kith(...v('status'))
    await kith(...v('drill'))
    await kith(...v('kit', '--out', join(work, 'kit')))
    const secrets: string[] = []
    for (const text of invites) secrets.push(text, ...forms(inviteFromText(text).secret))
    const { vaultKey } = await readKeyFile(vaultPaths(dir).key, dir)
    secrets.push(...forms(vaultKey))
    for (const k of await dataKeys(dir)) secrets.push(...forms(k))
    const content = [await readFile(scb), await readFile(hsm)]

    const out = join(work, 'restored')
    const resumed = join(work, 'resumed')
    const recoverLog = join(work, 'recover.log')
    const r = new RecoverRun(
      '--kit',
      join(work, 'kit.txt'),
      '--out',
      out,
      '--resume',
      // the old node was heard seconds ago: the test is its operator, who stopped it
      '--old-node-stopped',
      '--data-dir',
      resumed,
      '--log-file',
      recoverLog,
      '--log-level',
      'trace',
    )
    const codes: string[] = []
    for (const i of [0, 1]) {
      const c = await r.codeFor(gs[i]!.peerId)
      codes.push(c.code, c.code.replace('-', ''))
      await kith('guardian', 'approve', c.request, '--code', c.code, '--data-dir', gs[i]!.dir)
    }
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    outputs.push(done.stdout, done.stderr)
    for (const k of await dataKeys(resumed)) secrets.push(...forms(k))

    // every share envelope any guardian ever held, in every form
    for (const g of gs) {
      const db = new Database(join(g.dir, 'guardian.sqlite3'), { readonly: true })
      for (const { envelope } of db.prepare('SELECT envelope FROM shares').all() as { envelope: Buffer }[]) {
        const e = openShareEnvelope(envelope)
        secrets.push(...forms(envelope), ...forms(e.share), shareEnvelopeToText(e))
      }
      db.close()
    }
    for (const c of content) secrets.push(...forms(c.subarray(0, 32)), ...forms(c.subarray(-32)))

    const logs = [...gs.map((g) => join(g.dir, 'kith.log')), join(dir, 'kith.log'), recoverLog]
    const texts = [...outputs, ...gs.flatMap((g) => g.lines)]
    for (const path of logs) {
      const text = await readFile(path, 'utf8')
      // structured: one JSON object per line, with a time, a level and a component
      const lines = text.trim().split('\n')
      expect(lines.length).toBeGreaterThan(0)
      for (const line of lines)
        expect(JSON.parse(line)).toMatchObject({
          time: expect.any(String),
          level: expect.any(String),
          component: expect.any(String),
        })
      texts.push(text)
    }
    const all = texts.join('\n')
    expect(secrets.length).toBeGreaterThan(30)
    for (const s of secrets) expect(all.includes(s), `a secret leaked: ${s.slice(0, 12)}…`).toBe(false)
    // the phone codes: shown on the recovering terminal (its output) on purpose, in no log and no guardian line
    const logged = [...texts.slice(outputs.length)].join('\n')
    for (const c of codes) expect(logged.includes(c), `a phone code was logged: ${c}`).toBe(false)
    // and the logs did record what happened, by code
    expect(all).toMatch(/"event":"version-stored"/)
    expect(all).toMatch(/"event":"share-released"/)
    expect(all).toMatch(/"event":"restore-done"/)
    // and every component spoke, p2p/ included, at the levels below info too
    for (const module of ['coordinator', 'recovery', 'p2p']) expect(all).toContain(`"module":"${module}"`)
    for (const event of [
      'pushed',
      'push-done',
      'version-built',
      'roster-delivered',
      'restoring',
      'request-sent',
    ])
      expect(all).toContain(`"event":"${event}"`)
    expect(all).toMatch(/"level":"(debug|trace)"/)
  }, 180_000)

  it('undelivered shares are sealed at rest: a stolen vault.sqlite3 gives no share without the key file', async () => {
    const gs = await Promise.all([0, 1, 2].map(() => LocalGuardian.create()))
    fleet.guardians.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    const dir = join(await fileTempDir('kith-node-'), 'vault')
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--json']
    expect((await cli(...v('init', '-k', '2', '-w', '2'))).code).toBe(0)
    const invites = gs.map((g) => g.invite())
    await Promise.all(gs.map((g) => g.stop()))
    // every guardian away: the vault is split, and all three shares wait in the database
    await cli(...v('add-guardian', ...invites))
    const db = new Database(vaultPaths(dir).db, { readonly: true })
    const stored = db.prepare('SELECT share FROM guardians').all() as { share: Buffer | null }[]
    db.close()
    expect(stored).toHaveLength(3)
    for (const { share } of stored) {
      expect(share).not.toBeNull()
      expect(share!.subarray(0, 4).toString()).not.toBe('KITH')
      expect(() => openShareEnvelope(share!)).toThrow()
    }
    // back online: the sealed shares open with the key file and are delivered
    await Promise.all(gs.map((g) => g.start()))
    await writeFile(join(dir, '..', 'a'), 'a')
    expect((await cli(...v('add-source', 'file', join(dir, '..', 'a')))).code).toBe(0)
    expect((await cli(...v('backup'))).code).toBe(0)
    const after = new Database(vaultPaths(dir).db, { readonly: true })
    expect(after.prepare('SELECT count(*) AS n FROM guardians WHERE share IS NOT NULL').get()).toEqual({
      n: 0,
    })
    after.close()
  })
})
