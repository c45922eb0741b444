/**
 * Addresses that move: a guardian restarts on another port (a home IP that changed is the same story).
 * Its fellow guardians learn its newest signed address record when it reconnects; the coordinator asks
 * them, and a recoverer holding a kit printed before the move is told by an approving guardian. Nobody
 * edits a file. The manual way (`kith vault update-guardian`) and the warnings at `guardian init` too.
 */

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readGuardianConfig, writeGuardianConfig } from '../../src/guardian/config.js'
import { cli, kithJson, RecoverRun, statusJson } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

describe('a guardian whose address moves', () => {
  it('is reached again by the coordinator and by a recoverer with an old kit, with no file edited', async () => {
    const { gs, work, v, replace } = await backedUpVault(3, 2, 2, fleet)
    await kithJson(...v('kit', '--out', join(work, 'kit')))
    const before = gs[1]!.addr
    // it comes back on another port
    await gs[1]!.stop()
    const config = await readGuardianConfig(gs[1]!.dir)
    await writeGuardianConfig(gs[1]!.dir, { ...config, listen: ['/ip4/127.0.0.1/tcp/0'] })
    await gs[1]!.start()
    expect(gs[1]!.addr).not.toBe(before)
    // its fellows hear its new signed record when it reconnects (anti-entropy dials them)
    const moved = gs[1]!.addr.replace(/\/p2p\/.*$/, '')
    await waitUntil(async () => {
      const peer = await gs[0]!.guardian.node.peerStore
        .get(gs[1]!.guardian.node.peerId)
        .catch(() => undefined)
      return peer?.addresses.some((a) => a.multiaddr.toString() === moved) === true
    })
    // the coordinator still has the old address: it asks the others and delivers at the new one
    await replace(3300)
    const r = await kithJson(...v('backup'))
    expect(r['pushed']).toMatchObject({ version: 2, receipts: 3, committed: true })
    const s = await statusJson(...v('status'))
    const g1 = (
      s['guardians'] as { peerId: string; reachable: boolean; addrs: string[]; path?: string }[]
    ).find((g) => g.peerId === gs[1]!.peerId)!
    expect(g1).toMatchObject({ reachable: true, path: 'direct' })
    expect(g1.addrs).toContain(moved)
    // a recovery from the kit printed before the move still reaches it
    expect(await readFile(join(work, 'kit.txt'), 'utf8')).not.toContain(moved)
    const rec = new RecoverRun('--kit', join(work, 'kit.txt'), '--out', join(work, 'out'))
    await rec.approveAt(gs[0]!)
    await rec.approveAt(gs[1]!)
    expect((await rec.done).code).toBe(0)
  })

  it('update-guardian sets the address by hand; init warns about tcp/0 and loopback-only addresses', async () => {
    const { gs, v } = await backedUpVault(2, 2, 2, fleet)
    const set = await kithJson(...v('update-guardian', gs[0]!.peerId, '/dns4/bob.example/tcp/4646'))
    expect(set['addrs']).toEqual(['/dns4/bob.example/tcp/4646'])
    const s = await statusJson(...v('status', '--offline'))
    expect(
      (s['guardians'] as { peerId: string; addrs: string[] }[]).find((g) => g.peerId === gs[0]!.peerId)!
        .addrs,
    ).toEqual(['/dns4/bob.example/tcp/4646'])
    const bad = await cli(...v('update-guardian', gs[0]!.peerId, 'not-an-address'))
    expect(bad.code).toBe(2)
    const init = await kithJson(
      'guardian',
      'init',
      '--data-dir',
      await fileTempDir(),
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
    )
    expect(init['warnings']).toEqual([expect.stringMatching(/tcp\/0/), expect.stringMatching(/loopback/)])
  })
})
