import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { afterAll, describe, expect, it } from 'vitest'
import { PROTOCOLS } from '../../src/p2p/wire.js'
import { kithJson, RecoverRun } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

/** Make a guardian accept every fetch and never answer, until `release()`. */
async function stall(g: LocalGuardian) {
  const held: Stream[] = []
  const node = g.guardian.node
  for (const protocol of [PROTOCOLS.fetch, PROTOCOLS.fetchSession]) {
    await node.unhandle(protocol)
    await node.handle(protocol, (stream) => {
      held.push(stream)
    })
  }
  return {
    held,
    release: () => {
      for (const s of held) s.abort(new Error('released'))
    },
  }
}

describe('attack: a fellow guardian that never finishes sending what a lagging guardian catches up from', () => {
  const stalls: Awaited<ReturnType<typeof stall>>[] = []
  afterAll(() => {
    for (const s of stalls) s.release()
  })

  it('a push and a recovery request at the lagging guardian complete while its catch-up is stuck', async () => {
    const { gs, work, v, vault, replace } = await backedUpVault(3, 2, 2, fleet)
    // friend 0 misses version 2; friends 1 and 2 will serve it to nobody
    await gs[0]!.stop()
    await replace(3100)
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    stalls.push(await stall(gs[1]!), await stall(gs[2]!))
    await gs[0]!.start()
    // friend 0 hears of version 2 and starts catching up: its fetch hangs at a stalling peer
    await waitUntil(() => stalls.some((s) => s.held.some((x) => x.status === 'open')))
    const stuck = stalls.flatMap((s) => s.held).filter((x) => x.status === 'open')

    // the owner's version 3 reaches friend 0 all the same
    await replace(3200)
    const pushed = await kithJson(...v('backup'))
    expect(pushed['pushed']).toMatchObject({ version: 3, committed: true })
    expect(gs[0]!.guardian.db.vaults.all()[0]!.headVersion).toBe(3)
    // and a recovery request is opened at friend 0
    const r = new RecoverRun(
      '--vault',
      vault,
      '--guardian',
      gs[0]!.addr,
      '--out',
      join(work, 'out'),
      '--wait',
      '2s',
    )
    expect(await r.event('request-sent')).toMatchObject({ peerId: gs[0]!.peerId })
    // all while the catch-up that began first is still waiting on the stalled fetch
    expect(stuck.some((x) => x.status === 'open')).toBe(true)
    expect((await r.done).stderr).toMatch(/\[RECOVERY_TIMEOUT\]/)
  })
})
