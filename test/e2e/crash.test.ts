/**
 * The coordinator killed (SIGKILL) while it pushes, three times, then restarted: no version is lost,
 * duplicated or renumbered, and none waits in the outbox for ever. A guardian is paused (SIGSTOP) during each backup, so a version waits in the
 * outbox for W = 3 for as long as the test needs, and the kill always lands mid-push, at a random point.
 * Its files are on a real disk (tmp.ts `durable`), as a crash test's should be.
 */
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import {
  CLI,
  type GuardianProcess,
  guardiansAndVault,
  kith,
  kithResult,
  statusOf,
} from '../helpers/daemons.js'
import { killGroup, spawnTracked } from '../helpers/procs.js'
import { waitUntil } from '../helpers/wait.js'

const started: GuardianProcess[] = []
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop('SIGKILL')))
})

/** Versions as the coordinator's own database has them (read-only, beside a possibly dead writer). */
function versions(dir: string): { version: number; committed: boolean }[] {
  const db = new Database(vaultPaths(dir).db, { readonly: true })
  try {
    return (
      db.prepare('SELECT version, committed_at FROM versions ORDER BY version').all() as {
        version: number
        committed_at: number | null
      }[]
    ).map((r) => ({ version: r.version, committed: r.committed_at !== null }))
  } finally {
    db.close()
  }
}

describe('coordinator killed mid-push', () => {
  it('SIGKILL while pushing, then restart: no version lost, duplicated or renumbered', async () => {
    const { gs, work, dir, v } = await guardiansAndVault(3, 2, 3, started, { durable: true })
    const data = join(work, 'node-data.bin')
    await writeFile(data, randomBytes(2 * 1024 * 1024))
    await kith(...v('add-source', 'file', data))
    await kith(...v('backup'))

    for (let round = 0; round < 3; round++) {
      await writeFile(`${data}.tmp`, randomBytes(4 * 1024 * 1024))
      await rename(`${data}.tmp`, data)
      const before = versions(dir).length
      const paused = gs[round]!.proc!
      paused.kill('SIGSTOP')
      try {
        // it first delivers the version the last round left in the outbox, and gives up on the paused
        // guardian after a 2 s dial instead of 10 s: then the new version is built, and pushed
        const proc = spawnTracked(process.execPath, [CLI, 'vault', 'backup', '--data-dir', dir], {
          env: { ...process.env, KITH_DURATIONS: 'dial=2s' },
        })
        const exited = new Promise((r) => proc.once('exit', r))
        // the new version is in the outbox: it is being pushed, and cannot commit while one is paused
        await waitUntil(() => {
          if (proc.exitCode !== null) throw new Error('the backup ended before it could be killed')
          const vs = versions(dir)
          return vs.length > before && !vs.at(-1)!.committed
        })
        await new Promise((r) => setTimeout(r, Math.random() * 300))
        expect(proc.exitCode).toBeNull()
        killGroup(proc)
        await exited
      } finally {
        paused.kill('SIGCONT')
      }
    }

    // restart: the outbox is delivered, nothing is rebuilt for unchanged data, numbering is intact
    const r = await kithResult(...v('backup'))
    expect(r.code, r.stderr).toBe(0)
    const after = JSON.parse(r.stdout)
    expect(after.pushed).toBeUndefined()
    const all = versions(dir)
    expect(all.map((x) => x.version)).toEqual(all.map((_, i) => i + 1))
    // the newest is committed; one left uncommitted below it was superseded (a newer version committed
    // first: it holds every source as it is now) and is out of the outbox for good
    const newest = all.at(-1)!.version
    expect(all.at(-1)!.committed).toBe(true)
    expect((await statusOf('--data-dir', dir, '--offline'))['outbox']).toEqual([])
    for (const g of gs) {
      const s = (await g.status()).vaults[0]!
      expect(s.version).toBe(newest)
      expect(s.equivocation).toBe(false)
      // a coordinator killed mid-push broke its streams: the guardian says so, never an internal error
      expect(g.output).not.toMatch(/internal error|\[object /)
    }
  })
})
