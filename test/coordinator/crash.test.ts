import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { CLI, type GuardianProcess, guardiansAndVault, kith } from '../helpers/daemons.js'

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
    const { gs, work, dir, v } = await guardiansAndVault(3, 2, 3, started)
    const data = join(work, 'node-data.bin')
    await writeFile(data, randomBytes(2 * 1024 * 1024))
    await kith(...v('add-source', 'file', data))
    await kith(...v('backup'))

    let killedMidPush = 0
    for (let round = 0; round < 3; round++) {
      // a big change, so the push takes long enough to be interrupted
      await writeFile(`${data}.tmp`, randomBytes(48 * 1024 * 1024))
      await rename(`${data}.tmp`, data)
      const before = versions(dir).length
      const proc = spawn(process.execPath, [CLI, 'vault', 'backup', '--data-dir', dir], { stdio: 'ignore' })
      const exited = new Promise((r) => proc.once('exit', r))
      // kill as soon as the new version is in the outbox, i.e. while it is being pushed
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline && proc.exitCode === null) {
        const vs = versions(dir)
        if (vs.length > before && !vs[vs.length - 1]!.committed) {
          proc.kill('SIGKILL')
          killedMidPush++
          break
        }
        await new Promise((r) => setTimeout(r, 5))
      }
      await exited
    }
    expect(killedMidPush).toBeGreaterThan(0)

    // restart: the outbox is delivered, nothing is rebuilt for unchanged data, numbering is intact
    const after = JSON.parse(await kith(...v('backup')))
    expect(after.pushed).toBeUndefined()
    const all = versions(dir)
    expect(all.map((x) => x.version)).toEqual(all.map((_, i) => i + 1))
    expect(all.every((x) => x.committed)).toBe(true)
    const newest = all[all.length - 1]!.version
    for (const g of gs) {
      const s = (await g.status()).vaults[0]!
      expect(s.version).toBe(newest)
      expect(s.equivocation).toBe(false)
    }
  }, 240_000)
})
