/**
 * The old node stops (attack: the operator recovered elsewhere with --resume, and the old machine comes
 * back). Its kith-cln answers the next db_write so that lightningd stops before committing it: at once,
 * not after the hold time, with the reason in lightningd's log; nothing after the fence is held by any
 * guardian; the fence is recorded where the node's other kith processes look, so its running `vault
 * watch` stops loudly and every later hook is refused before it reaches the network. A guardian that
 * only claims FENCED without the vault's newer roster proves nothing (coordinator/fence.ts, tested in
 * test/attacks/fencing.test.ts for the coordinator).
 */
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FencedError } from '../../src/coordinator/errors.js'
import { Vault } from '../../src/coordinator/vault.js'
import { exclusiveVault, Watcher } from '../../src/coordinator/watch.js'
import { setDurations } from '../../src/time/durations.js'
import { RecoverRun, recoverArgs, statusJson } from '../helpers/cli.js'
import { createClnDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { endOpenRequests, type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
afterAll(setDurations({ clnRetry: 100 }))

describe('CLN: after a recovery with --resume elsewhere, the old node stops', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let v: (...args: string[]) => string[]
  let ln: Lightningd
  let watcher: Watcher
  let watchVault: Vault
  const vaultId = () => gs[0]!.guardian.db.vaults.all()[0]!.vaultId
  const held = () => gs.map((g) => g.guardian.db.journals.get(vaultId(), 'cln-db')?.lastPosition ?? 0)

  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    const clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    // a hold time far beyond the test's own timeout: a refusal that waited for it would never come
    await installPlugin(work, dir, clnDb, '--hold', '30m')
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    for (let n = 1; n <= 5; n++) expect(await ln.pay(n)).toBe('continue')
    expect(held().filter((p) => p === 10).length).toBeGreaterThanOrEqual(2)
    watchVault = await Vault.open(dir, undefined, { lock: false })
    watcher = new Watcher(watchVault, { debounceMs: 100, retryMs: 200, exclusive: exclusiveVault(dir) })
    await watcher.start()
  })

  afterAll(async () => {
    await watcher?.stop()
    await watchVault?.close()
    await ln?.stop()
    ln?.close()
  })

  it('recover says when the old node was last heard; --resume without the word that it is stopped restores nothing and takes nothing over', async () => {
    const vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    const out = join(work, 'too-soon')
    const r = new RecoverRun(
      ...recoverArgs(vault, gs, out, '--resume', '--data-dir', join(work, 'too-soon-vault')),
    )
    for (const g of gs.slice(0, 2)) await r.approveAt(g)
    const done = await r.done
    expect(done.code).not.toBe(0)
    expect(done.stderr).toMatch(
      /your old node was last heard by 3 guardian\(s\) .* ago: .*--old-node-stopped \[OLD_NODE_RECENT\]/,
    )
    const heads = await r.event('heads-collected')
    expect(heads['lastHeard']).toMatchObject({ guardians: 3 })
    const heard = heads['lastHeard'] as { ago: number; pluginAgo: number }
    expect(heard.pluginAgo).toBeLessThan(60 * 60_000)
    // nothing restored, no vault taken over (asked on a terminal, the operator would have answered here)
    expect(existsSync(out) ? await readdir(out) : []).toEqual([])
    expect(existsSync(join(work, 'too-soon-vault', 'vault.sqlite3'))).toBe(false)
    endOpenRequests(gs)
  })

  it("the old plugin's next hook stops lightningd at once, with the reason in its log; no guardian holds that transaction", async () => {
    const vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    // the operator, on a new machine, recovers and takes the vault over
    const r = new RecoverRun(
      ...recoverArgs(
        vault,
        gs,
        join(work, 'out'),
        '--resume',
        '--old-node-stopped',
        '--data-dir',
        join(work, 'new'),
      ),
    )
    for (const g of gs.slice(0, 2)) await r.approveAt(g)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    // the old machine is still running: lightningd's next payment
    const answer = await ln.pay(6)
    expect(answer).toMatch(/kith-cln refuses: this node was replaced: .* STOP THIS NODE NOW/)
    expect(ln.dataVersion).toBe(10)
    expect(
      ln.notifications.some(
        (n) =>
          n.params.level === 'broken' &&
          /this node was replaced.*lightningd stops/.test(n.params.message ?? ''),
      ),
    ).toBe(true)
    // nothing after the fence is held anywhere
    expect(held().every((p) => p <= 10)).toBe(true)
  })

  it('the fence is recorded for the node: its running watch stops loudly, its status says fenced', async () => {
    await expect(watcher.failed).rejects.toBeInstanceOf(FencedError)
    expect((await statusJson(...v('status', '--offline')))['verdict']).toBe('fenced')
  })

  it('lightningd started again is refused at its first hook, before anything is sent', async () => {
    await ln.stop()
    await ln.start()
    await ln.init()
    expect(await ln.pay(7)).toMatch(/this node was replaced/)
    expect(held().every((p) => p <= 10)).toBe(true)
  })
})
