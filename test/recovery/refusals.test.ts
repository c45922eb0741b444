import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { fleet, guardiansAndVault, kith, kithResult, type RecoverProcess } from '../helpers/daemons.js'

const { started, recover } = fleet()

describe('recovery refuses what it must (4 guardians, 2-of-4, W=2: 3 answers needed)', () => {
  it('drill, veto, deny, a stale pair of guardians, and a guardian serving corrupted chunks', async () => {
    const { gs, work, v } = await guardiansAndVault(4, 2, 2, started)
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    await writeFile(join(work, 'hsm_secret'), randomBytes(32))
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('add-source', 'file', join(work, 'hsm_secret'), '--name', 'hsm_secret'))
    const replace = async (i: number) => {
      await writeFile(`${scb}.tmp`, randomBytes(3000 + i))
      await rename(`${scb}.tmp`, scb)
      await kith(...v('backup'))
    }
    for (let i = 1; i <= 7; i++) await replace(i)
    const v7 = await readFile(scb)
    const vault = JSON.parse(await kith(...v('status', '--offline'))).vault as string
    const info = await Promise.all(gs.map((g) => g.status()))
    const addr = (i: number) => `${info[i]!.addrs[0]}/p2p/${info[i]!.peerId}`

    // a drill: every guardian proves its share and version 7's chunks, without any key leaving
    const drill = JSON.parse(await kith(...v('drill')))
    expect(drill).toMatchObject({ version: 7, pass: true })
    for (const g of drill.guardians)
      expect(g).toMatchObject({ share: 'ok', version: 7, chunksOk: 2, chunksChecked: 2 })
    // guardian 3 loses a chunk of version 7: the drill fails and names it
    await gs[3]!.stop()
    const lossy = new Database(join(gs[3]!.dir, 'guardian.sqlite3'))
    lossy.exec(
      'DELETE FROM chunks WHERE id IN (SELECT chunk_id FROM manifest_chunks WHERE version = 7 LIMIT 1)',
    )
    lossy.close()
    await gs[3]!.start()
    const failedDrill = await kithResult(...v('drill'))
    expect(failedDrill.code).toBe(1)
    const report = JSON.parse(failedDrill.stdout)
    expect(report.pass).toBe(false)
    expect(report.guardians.filter((g: { pass: boolean }) => !g.pass)).toEqual([
      expect.objectContaining({ peerId: info[3]!.peerId, share: 'ok', chunksOk: 1 }),
    ])

    // without a kit: one guardian's address; the signed roster names the other three
    const r1 = recover('--vault', vault, '--guardian', addr(2), '--out', join(work, 'r1'))
    for (const i of [0, 1, 2, 3]) await r1.codeFor(info[i]!.peerId)
    // the live owner sees the request in status, and vetoes it with the vault key
    const seen = JSON.parse(await kith(...v('status')))
    expect(seen.recoveryRequests).toEqual([expect.objectContaining({ request: r1.events[0]!['request'] })])
    expect(seen.reasons[0]).toMatch(/^RECOVERY REQUEST/)
    const vetoed = JSON.parse(await kith(...v('veto', r1.events[0]!['request'] as string)))
    expect(vetoed.vetoed).toBe(4)
    expect(await r1.exitCode()).toBe(1)
    expect(r1.stderr).toContain('[NOT_ENOUGH_APPROVALS]')
    expect(r1.events.filter((e) => e['event'] === 'denied' && e['state'] === 'vetoed')).toHaveLength(4)
    expect(r1.events.some((e) => e['event'] === 'share-received')).toBe(false)
    // a guardian cannot approve a vetoed request by accident, only by overriding on purpose
    const { request, code } = await r1.codeFor(info[0]!.peerId)
    const closed = await kithResult('guardian', 'approve', request, '--code', code, '--data-dir', gs[0]!.dir)
    expect(closed.stderr).toContain('[REQUEST_CLOSED]')

    // a denied request releases nothing
    const r2 = recover('--vault', vault, '--guardian', addr(0), '--out', join(work, 'r2'))
    const asked = await r2.codeFor(info[0]!.peerId)
    await kith('guardian', 'deny', asked.request, '--data-dir', gs[0]!.dir)
    await r2.event('denied', (e) => e['state'] === 'denied')
    r2.proc.kill('SIGTERM')
    expect(await r2.exitCode()).toBe(1)
    expect(r2.events.some((e) => e['event'] === 'share-received')).toBe(false)
    const after = JSON.parse(await kith('guardian', 'requests', '--all', '--json', '--data-dir', gs[0]!.dir))
    expect(after.requests.find((x: { request: string }) => x.request === asked.request).state).toBe('denied')

    // guardians 0 and 1 are away while versions 8..10 commit on 2 and 3
    await Promise.all([gs[0]!.stop(), gs[1]!.stop()])
    for (let i = 8; i <= 10; i++) await replace(i)
    // then 2 and 3 are gone; 0 and 1 come back, still at version 7, and 0's chunks are damaged
    await Promise.all([gs[2]!.stop(), gs[3]!.stop()])
    const db = new Database(join(gs[0]!.dir, 'guardian.sqlite3'))
    const rows = db.prepare('SELECT id, data FROM chunks').all() as { id: Buffer; data: Buffer }[]
    for (const row of rows) {
      row.data[row.data.length - 1]! ^= 1
      db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id)
    }
    db.close()
    await Promise.all([gs[0]!.start(), gs[1]!.start()])

    const approveAll = async (r: RecoverProcess) => {
      for (const i of [0, 1]) {
        const c = await r.codeFor(info[i]!.peerId)
        await kith('guardian', 'approve', c.request, '--code', c.code, '--data-dir', gs[i]!.dir)
      }
    }
    // two answers of three needed: version 7 may be stale, so nothing is restored
    const r3 = recover('--vault', vault, '--guardian', addr(0), addr(1), '--out', join(work, 'r3'))
    await approveAll(r3)
    expect(await r3.exitCode()).toBe(1)
    expect(r3.stderr).toContain('[POSSIBLY_STALE]')
    expect(r3.stderr).toMatch(/channel funds/)
    expect(await r3.event('heads-collected')).toMatchObject({ answered: 2, needed: 3, version: 7 })
    expect(r3.events.some((e) => e['event'] === 'restore-done')).toBe(false)

    // told to, it restores version 7, skipping and naming the guardian that serves bad chunks
    const out = join(work, 'r4')
    const r4 = recover('--vault', vault, '--guardian', addr(0), addr(1), '--out', out, '--accept-stale')
    await approveAll(r4)
    expect(await r4.exitCode()).toBe(0)
    expect(await r4.event('heads-collected')).toMatchObject({ answered: 2, version: 7, acceptedStale: true })
    expect(r4.events.filter((e) => e['event'] === 'bad-guardian')).toEqual([
      expect.objectContaining({ guardian: expect.any(String) }),
    ])
    const done = await r4.event('restore-done')
    expect(done).toMatchObject({ version: 7 })
    const restored = (done['files'] as { kind: string; path: string }[]).find((f) => f.kind === 'lnd-scb')!
    expect(await readFile(restored.path)).toEqual(v7)
  }, 240_000)
})
