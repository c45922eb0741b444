/**
 * What a recovery must refuse, with 4 guardians, 2-of-4, W=2 (3 answers needed to be sure): a drill that
 * names a guardian that lost a chunk, a vetoed request, a denied one, a stale pair of guardians, and a
 * guardian serving corrupted chunks. Guardians, the CLI and the recoveries run in this process.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Database } from '../../src/disk/sqlite-driver.js'
import { cli, kithIn, kithJson, RecoverRun, statusJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
let gs: LocalGuardian[]
let work: string
let v: (...args: string[]) => string[]
let scb: string
let vault: string
let v7: Buffer

const replace = async (i: number) => {
  await writeFile(`${scb}.tmp`, randomBytes(3000 + i))
  await rename(`${scb}.tmp`, scb)
  await kithIn(...v('backup'))
}
/** A recovery from guardians 0 and 1 only, both of which approve. */
const recoverFromTwo = (out: string, ...extra: string[]) =>
  RecoverRun.approvedBy(vault, [gs[0]!, gs[1]!], out, ...extra)
/** Change a stopped guardian's database by hand, as a failing disk or a tamperer would. */
const tamper = (g: LocalGuardian, fn: (db: Database) => void) => {
  const db = new Database(join(g.dir, 'guardian.sqlite3'))
  try {
    fn(db)
  } finally {
    db.close()
  }
}

/** The state guardian `g` holds request `request` in, from `kith guardian requests --all`. */
const heldState = async (g: LocalGuardian, request: string) => {
  const held = await kithJson('guardian', 'requests', '--all', '--data-dir', g.dir)
  return (held['requests'] as { request: string; state: string }[]).find((x) => x.request === request)?.state
}

describe('recovery refuses what it must (4 guardians, 2-of-4, W=2)', () => {
  beforeAll(async () => {
    ;({ gs, work, v } = await localVault(4, 2, 2, fleet))
    scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    await writeFile(join(work, 'hsm_secret'), randomBytes(32))
    await kithJson(...v('add-source', 'lnd-scb', scb))
    await kithJson(...v('add-source', 'file', join(work, 'hsm_secret'), '--name', 'hsm_secret'))
    for (let i = 1; i <= 7; i++) await replace(i)
    v7 = await readFile(scb)
    vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    // seven backups through four guardians: on a loaded machine (the stress run) this took over a minute
  }, 180_000)

  it('a drill: every guardian proves its share and version 7, without any key leaving', async () => {
    const drill = await kithJson(...v('drill'))
    expect(drill).toMatchObject({ version: 7, pass: true })
    for (const g of drill['guardians'] as unknown[])
      expect(g).toMatchObject({ share: 'ok', version: 7, chunksOk: 2, chunksChecked: 2 })
  })

  it('a guardian that lost a chunk of version 7 fails the drill, which names it', async () => {
    await gs[3]!.stop()
    tamper(gs[3]!, (db) =>
      db.exec(
        'DELETE FROM chunks WHERE id IN (SELECT chunk_id FROM manifest_chunks WHERE version = 7 LIMIT 1)',
      ),
    )
    await gs[3]!.start()
    const failed = await cli(...v('drill', '--json'))
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('[DRILL_FAILED]')
    const report = JSON.parse(failed.stdout)
    expect(report.pass).toBe(false)
    expect(report.guardians.filter((g: { pass: boolean }) => !g.pass)).toEqual([
      expect.objectContaining({ peerId: gs[3]!.peerId, share: 'ok', chunksOk: 1 }),
    ])
  })

  let r1: RecoverRun
  it('without a kit, one guardian address is enough: once it approves, its signed roster names the other three', async () => {
    // this guardian waits an hour after approving, so the owner's veto below still has time to work
    await kithIn('guardian', 'policy', '--release-delay', '1h', '--data-dir', gs[2]!.dir)
    r1 = new RecoverRun('--vault', vault, '--guardian', gs[2]!.addr, '--out', join(work, 'r1'))
    await r1.codeFor(gs[2]!.peerId)
    // before its human approved, the guardian told nothing about the others
    expect(r1.events.filter((e) => e['event'] === 'request-sent')).toHaveLength(1)
    await r1.approveAt(gs[2]!)
    for (const g of gs) await r1.codeFor(g.peerId)
  })

  it('the live owner sees the request in status and vetoes it; nothing is released', async () => {
    const seen = await statusJson(...v('status'))
    const request = r1.events[0]!['request'] as string
    expect(seen['recoveryRequests']).toEqual([expect.objectContaining({ request })])
    expect((seen['reasons'] as string[])[0]).toMatch(/^RECOVERY REQUEST/)
    // by its first digits, as a guardian's human denies one
    expect(await kithJson(...v('veto', request.slice(0, 8)))).toMatchObject({ request, vetoed: 4 })
    const done = await r1.done
    expect(done.code).toBe(1)
    expect(done.stderr).toContain('[NOT_ENOUGH_APPROVALS]')
    // the run stops as soon as 2 approvals can no longer come: after 3 vetoes it may not wait for the 4th
    const denied = r1.events.filter((e) => e['event'] === 'denied')
    expect(denied.length).toBeGreaterThanOrEqual(3)
    expect(denied.every((e) => e['state'] === 'vetoed')).toBe(true)
    expect(r1.events.some((e) => e['event'] === 'share-received')).toBe(false)
    // and every guardian holds the request as vetoed, the one whose human approved among them
    for (const g of gs) expect(await heldState(g, request)).toBe('vetoed')
  })

  it('a guardian cannot approve a vetoed request by accident, only by overriding on purpose', async () => {
    const { request, code } = await r1.codeFor(gs[0]!.peerId)
    const closed = await cli('guardian', 'approve', request, '--code', code, '--data-dir', gs[0]!.dir)
    expect(closed.code).toBe(1)
    expect(closed.stderr).toContain('[REQUEST_CLOSED]')
  })

  it('a denied request releases nothing', async () => {
    const stop = new RecoverRun(
      '--vault',
      vault,
      '--guardian',
      gs[0]!.addr,
      '--out',
      join(work, 'r2'),
      '--wait',
      '3s',
    )
    const asked = await stop.codeFor(gs[0]!.peerId)
    await kithIn('guardian', 'deny', asked.request, '--data-dir', gs[0]!.dir)
    await stop.event('denied', (e) => e['state'] === 'denied')
    expect((await stop.done).code).toBe(1)
    expect(stop.events.some((e) => e['event'] === 'share-received')).toBe(false)
    expect(await heldState(gs[0]!, asked.request)).toBe('denied')
  })

  it('with two guardians stuck at version 7 and the other two gone, nothing is restored: it may be stale', async () => {
    // guardians 0 and 1 are away while versions 8..10 commit on 2 and 3
    await Promise.all([gs[0]!.stop(), gs[1]!.stop()])
    for (let i = 8; i <= 10; i++) await replace(i)
    // then 2 and 3 are gone; 0 and 1 come back, still at version 7, and 0's chunks are damaged
    await Promise.all([gs[2]!.stop(), gs[3]!.stop()])
    tamper(gs[0]!, (db) => {
      for (const row of db.prepare('SELECT id, data FROM chunks').all() as { id: Buffer; data: Buffer }[]) {
        row.data[row.data.length - 1]! ^= 1
        db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id)
      }
    })
    await Promise.all([gs[0]!.start(), gs[1]!.start()])
    const r3 = await recoverFromTwo(join(work, 'r3'))
    const done = await r3.done
    expect(done.code).toBe(1)
    expect(done.stderr).toContain('[POSSIBLY_STALE]')
    expect(done.stderr).toMatch(/channel funds/)
    expect(await r3.event('heads-collected')).toMatchObject({
      answered: 2,
      needed: 4,
      tolerate: 1,
      version: 7,
    })
    expect(r3.events.some((e) => e['event'] === 'restore-done')).toBe(false)
  })

  it('told to accept stale, it restores version 7, skipping and naming the guardian serving bad chunks', async () => {
    const out = join(work, 'r4')
    const r4 = await recoverFromTwo(out, '--accept-stale')
    expect((await r4.done).code).toBe(0)
    expect(await r4.event('heads-collected')).toMatchObject({ answered: 2, version: 7, acceptedStale: true })
    expect(r4.events.filter((e) => e['event'] === 'bad-guardian')).toEqual([
      expect.objectContaining({ guardian: expect.any(String) }),
    ])
    const done = await r4.event('restore-done')
    expect(done).toMatchObject({ version: 7 })
    const restored = (done['files'] as { kind: string; path: string }[]).find((f) => f.kind === 'lnd-scb')!
    expect(await readFile(restored.path)).toEqual(v7)
  })
})
