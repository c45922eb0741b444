import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kithJson, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('attack: a guardian that missed a re-share releases its older-epoch share first', () => {
  it('the stale share is set aside and named; k current shares rebuild the key; version 2 restores', async () => {
    const { gs, work, v, vault, scb, replace } = await backedUpVault(3, 2, 2, fleet)
    // friend 2 is away while friend 3 joins: the key is re-split (epoch 2) without it
    await gs[2]!.stop()
    const g3 = await LocalGuardian.create()
    fleet.guardians.push(g3)
    await g3.start()
    await kithJson(...v('add-guardian', g3.invite(1e9, 'friend 3')))
    await replace(3100)
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    const v2 = await readFile(scb)
    await gs[2]!.start()

    const all = [...gs, g3]
    const r = new RecoverRun(...recoverArgs(vault, all, join(work, 'out')))
    // the stale guardian approves first, then two current ones (the first to show the epoch-2 roster)
    await r.approveAt(gs[2]!)
    await r.event('share-received', (e) => e['guardian'] === 'friend 2')
    await r.approveAt(gs[1]!)
    await r.approveAt(g3)
    const done = await r.done
    expect(done.stderr).toBe('')
    expect(done.code).toBe(0)
    expect(await r.event('share-set-aside')).toMatchObject({ guardian: 'friend 2', epoch: 1, current: 2 })
    expect(await r.event('key-rebuilt')).toMatchObject({ epoch: 2, shares: 2, badShares: [] })
    const file = ((await r.event('restore-done'))['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(v2)
  })
})
