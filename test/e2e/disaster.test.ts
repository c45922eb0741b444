/**
 * The full disaster, end to end with real processes: 5 guardian daemons and the `kith` binary, 3-of-5,
 * W=4. Three versions; the node's vault directory is gone and 2 guardians are down; 3 friends approve by
 * phone code; version 3 comes back byte for byte; `--resume` makes the new machine the coordinator, and
 * the old one, come back from the dead, is fenced.
 */
import { randomBytes } from 'node:crypto'
import { cp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  fleet,
  type GuardianProcess,
  guardiansAndVault,
  kith,
  kithResult,
  type RecoverProcess,
  statusOf,
} from '../helpers/daemons.js'

const { started, recover } = fleet()

describe('the full disaster: 5 guardians, 3-of-5, W=4', () => {
  let gs: GuardianProcess[]
  let work: string
  let dir: string
  let v: (...args: string[]) => string[]
  let scb: string
  let original: { scb: Buffer; hsm: Buffer }
  let peers: string[]
  let zombie: string
  let r: RecoverProcess
  let asked: { request: string; code: string }
  const out = () => join(work, 'restored')
  const resumed = () => join(work, 'new-machine-vault')

  beforeAll(async () => {
    ;({ gs, work, dir, v } = await guardiansAndVault(5, 3, 4, started))
  })

  it('three versions of channel.backup and the seed, each committed', async () => {
    scb = join(work, 'channel.backup')
    const hsm = join(work, 'hsm_secret')
    await writeFile(hsm, randomBytes(32))
    await writeFile(scb, randomBytes(3000))
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('add-source', 'file', hsm, '--name', 'hsm_secret'))
    for (let i = 1; i <= 3; i++) {
      if (i > 1) {
        await writeFile(`${scb}.tmp`, randomBytes(3000 + i))
        await rename(`${scb}.tmp`, scb)
      }
      expect(JSON.parse(await kith(...v('backup'))).pushed).toMatchObject({ version: i, committed: true })
    }
    original = { scb: await readFile(scb), hsm: await readFile(hsm) }
  })

  it('the recovery kit is written as text and as HTML with a QR code', async () => {
    await kith(...v('kit', '--out', join(work, 'kit')))
    expect(await readFile(join(work, 'kit.txt'), 'utf8')).toContain('kvault1')
    expect(await readFile(join(work, 'kit.html'), 'utf8')).toContain('<svg')
    peers = await Promise.all(gs.map(async (g) => (await g.status()).peerId))
  })

  it('disaster: the vault directory is gone and two guardians are down; the recovery asks the rest', async () => {
    // an old copy of the vault directory survives somewhere (a backup of the old machine), to come back later
    zombie = join(work, 'zombie-vault')
    await cp(dir, zombie, { recursive: true })
    await rm(dir, { recursive: true, force: true })
    await Promise.all([gs[3]!.stop(), gs[4]!.stop()])
    // the machine burned a minute ago: the guardians heard it then, and the operator says it is gone
    r = recover(
      '--kit',
      join(work, 'kit.txt'),
      '--out',
      out(),
      '--resume',
      '--old-node-stopped',
      '--data-dir',
      resumed(),
    )
    asked = await r.codeFor(peers[0]!)
    expect(asked.code).toMatch(/^\d{3}-\d{3}$/)
    await r.event('unreachable')
  })

  it("the guardian's human sees the request but never its code, and a wrong code releases nothing", async () => {
    const listed = JSON.parse(await kith('guardian', 'requests', '--data-dir', gs[0]!.dir, '--json'))
    expect(listed.requests).toEqual([expect.objectContaining({ request: asked.request, state: 'pending' })])
    const human = await kith('guardian', 'requests', '--data-dir', gs[0]!.dir)
    expect(JSON.stringify(listed) + human).not.toContain(asked.code)
    expect(JSON.stringify(listed) + human).not.toContain(asked.code.replace('-', ''))
    const wrong = await kithResult(
      'guardian',
      'approve',
      asked.request,
      '--code',
      asked.code === '000-000' ? '111-111' : '000-000',
      '--data-dir',
      gs[0]!.dir,
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('[WRONG_CODE]')
    const daemonSaid = gs[0]!.output
    expect(daemonSaid).toContain('RECOVERY REQUEST')
    expect(daemonSaid).not.toContain(asked.code)
  })

  it('three approvals by phone code restore version 3, byte for byte', async () => {
    for (const i of [0, 1, 2]) {
      await r.approveAt(peers[i]!, gs[i]!.dir, i === 0)
    }
    expect(await r.exitCode()).toBe(0)
    await r.event('key-rebuilt')
    expect(await r.event('heads-collected')).toMatchObject({ answered: 3, needed: 3, version: 3 })
    const done = await r.event('restore-done')
    expect(done).toMatchObject({ version: 3 })
    const files = done['files'] as { kind: string; path: string }[]
    expect(files.map((f) => f.kind).sort()).toEqual(['file', 'lnd-scb'])
    for (const f of files) {
      expect(f.path.startsWith(out())).toBe(true)
      expect(await readFile(f.path)).toEqual(f.kind === 'file' ? original.hsm : original.scb)
    }
  })

  it('each approving guardian recorded exactly one release, and the finished recovery closed it', async () => {
    const after = JSON.parse(await kith('guardian', 'requests', '--all', '--data-dir', gs[0]!.dir, '--json'))
    expect(after.requests[0]).toMatchObject({
      request: asked.request,
      state: 'finished',
      releasedAt: expect.any(Number),
    })
  })

  it('--resume: the new machine coordinates under a new epoch and data key; version 4 extends 3', async () => {
    const took = await r.event('resumed')
    // W = 4 and two guardians are still away: version 4 waits in the new machine's outbox
    expect(took).toMatchObject({ version: 4, committed: false })
    expect((await stat(join(resumed(), 'vault.key'))).mode & 0o777).toBe(0o600)
    const waiting = await statusOf('--data-dir', resumed(), '--offline')
    expect(waiting).toMatchObject({ committedVersion: 3, outbox: [4], epoch: took['epoch'] })
  })

  it('the away guardians return: they get the new roster and version 4 commits', async () => {
    await Promise.all([gs[3]!.start(), gs[4]!.start()])
    const drained = JSON.parse(await kith('vault', 'backup', '--data-dir', resumed(), '--json'))
    expect(drained.drained).toEqual([expect.objectContaining({ version: 4, committed: true })])
    const now = await statusOf('--data-dir', resumed())
    expect(now).toMatchObject({ committedVersion: 4, outbox: [] })
  })

  it('the old coordinator comes back: every backup, watch and status stops with FENCED, loudly', async () => {
    await writeFile(`${scb}.tmp`, randomBytes(3100))
    await rename(`${scb}.tmp`, scb)
    const first = await kithResult('vault', 'backup', '--data-dir', zombie, '--timeout', '20s')
    expect(first.code).toBe(1)
    expect(first.stderr).toMatch(/STOP THIS NODE NOW.*\[FENCED\]/)
    // again, with nothing new to back up: still FENCED, never "Nothing changed" with exit 0
    const again = await kithResult('vault', 'backup', '--data-dir', zombie, '--json')
    expect(again.code).toBe(1)
    expect(JSON.parse(again.stdout)).toEqual({
      error: { code: 'FENCED', message: expect.stringMatching(/replaced/) },
    })
    const watch = await kithResult('vault', 'watch', '--data-dir', zombie, '--retry', '1s')
    expect(watch.code).toBe(1)
    expect(watch.stderr).toMatch(/\[FENCED\]/)
    for (const offline of [[], ['--offline']]) {
      const status = await kithResult('vault', 'status', '--data-dir', zombie, '--json', ...offline)
      expect(status.code).toBe(3)
      const oldStatus = JSON.parse(status.stdout)
      expect(oldStatus.verdict).toBe('fenced')
      expect(oldStatus.reasons[0]).toMatch(/^FENCED: .* STOP THIS NODE NOW/)
    }
    const human = await kithResult('vault', 'status', '--data-dir', zombie)
    expect(human.stdout.split('\n')[1]).toMatch(/^ {2}FENCED/)
    // it cannot sign its way back: no new epoch from the fenced node
    const rotate = await kithResult('vault', 'remove-guardian', peers[0]!, '--data-dir', zombie)
    expect(rotate.code).toBe(1)
    expect(rotate.stderr).toContain('[FENCED]')
    // a status that cannot give a verdict exits 4, never a verdict's code
    const broken = await kithResult('vault', 'status', '--data-dir', join(work, 'no-such-vault'), '--json')
    expect(broken.code).toBe(4)
    expect(JSON.parse(broken.stdout).error.code).toBe('VAULT_NOT_INITIALIZED')
  })

  it("nothing secret on the recoverer's output", () => {
    const printed = JSON.stringify(r.events) + r.stderr
    expect(printed).not.toContain(original.hsm.toString('hex'))
  })
})
