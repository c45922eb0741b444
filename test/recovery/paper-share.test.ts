/**
 * The owner's paper share: one more share of the split, written for paper, counting toward k like a
 * guardian's. The owner plus k − 1 friends recover; the paper alone opens nothing; one of an older
 * epoch no longer counts; one of another vault is refused. The share is written to 0600 files, never to
 * the terminal.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, kithJson, RecoverRun, recoverArgs, statusJson } from '../helpers/cli.js'
import { backedUpVault, endOpenRequests, type LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('paper share: the owner plus k − 1 friends (3 guardians, 2-of-3)', () => {
  let gs: LocalGuardian[]
  let work: string
  let v: (...args: string[]) => string[]
  let vault: string
  let scb: string
  let paper: string
  let printed: Record<string, unknown>

  beforeAll(async () => {
    const made = await backedUpVault(3, 2, 2, fleet)
    ;({ gs, work, v, vault, scb } = made)
    paper = join(work, 'paper')
    printed = await kithJson(...v('paper-share', '--out', paper))
  })

  it('is written to 0600 files, never to the terminal; the split takes it in a new epoch every guardian holds', async () => {
    expect(printed).toMatchObject({ epoch: 2, k: 2, n: 4 })
    for (const f of [`${paper}.txt`, `${paper}.html`]) {
      expect((await stat(f)).mode & 0o777).toBe(0o600)
      expect(await readFile(f, 'utf8')).toMatch(/kshare1/)
    }
    expect(JSON.stringify(printed)).not.toMatch(/kshare1/)
    for (const g of gs) expect(g.guardian.db.vaults.all()[0]!.epoch).toBe(2)
    const status = await statusJson(...v('status'))
    expect(status['paperShare']).toMatchObject({ epoch: 2, current: true })
    // written again over the first: refused, the printed one is kept
    const again = await cli(...v('paper-share', '--out', paper))
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/paper.txt exists/)
  })

  it('the owner and one friend recover, byte for byte', async () => {
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out'), '--paper-share', `${paper}.txt`))
    await r.approveAt(gs[0]!)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    expect(await r.event('paper-share')).toMatchObject({ epoch: 2, counts: true })
    const file = ((await r.event('restore-done'))['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(await readFile(scb))
    endOpenRequests(gs)
  })

  it('the paper share alone restores nothing', async () => {
    const out = join(work, 'alone')
    const r = new RecoverRun(...recoverArgs(vault, gs, out, '--paper-share', `${paper}.txt`, '--wait', '3s'))
    const done = await r.done
    expect(done.code).not.toBe(0)
    expect(done.stderr).toMatch(/RECOVERY_TIMEOUT|NOT_ENOUGH_APPROVALS/)
    expect(r.events.some((e) => e['event'] === 'restore-done')).toBe(false)
    endOpenRequests(gs)
  })

  it("another vault's paper share is refused before any friend is asked", async () => {
    const other = await backedUpVault(3, 2, 2, fleet)
    const theirs = join(other.work, 'paper')
    await kithJson(...other.v('paper-share', '--out', theirs))
    const r = await cli(
      'recover',
      ...recoverArgs(vault, gs, join(work, 'x'), '--paper-share', `${theirs}.txt`),
    )
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/WRONG_VAULT/)
  })

  it('after a new epoch the printed share no longer counts, and status says to print a new one', async () => {
    const g3 = gs[2]!
    await kithJson(...v('remove-guardian', g3.peerId))
    const status = await statusJson(...v('status'))
    expect(status['paperShare']).toMatchObject({ epoch: 2, current: false })
    expect(status['reasons'] as string[]).toEqual(
      expect.arrayContaining([expect.stringMatching(/paper share is of epoch 2, the vault is at epoch 3/)]),
    )
    const r = new RecoverRun(
      ...recoverArgs(
        vault,
        gs.slice(0, 2),
        join(work, 'stale'),
        '--paper-share',
        `${paper}.txt`,
        '--wait',
        '5s',
      ),
    )
    await r.approveAt(gs[0]!)
    const done = await r.done
    expect(done.code).not.toBe(0)
    expect(await r.event('paper-share')).toMatchObject({ epoch: 2, current: 3, counts: false })
    endOpenRequests(gs)
  })
})
