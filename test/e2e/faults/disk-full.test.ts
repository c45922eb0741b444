import { randomBytes } from 'node:crypto'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type GuardianProcess, guardiansAndVault, kith } from '../../helpers/daemons.js'
import { waitUntil } from '../../helpers/wait.js'

const started: GuardianProcess[] = []
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop('SIGKILL')))
})

describe('a guardian whose disk fills up', () => {
  it('refuses the push with STORAGE_FAILED, keeps what it held, and the others commit', async () => {
    const { gs, work, v } = await guardiansAndVault(3, 2, 2, started)
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    await kith(...v('add-source', 'lnd-scb', scb))
    expect(JSON.parse(await kith(...v('backup'))).pushed).toMatchObject({ version: 1, receipts: 3 })
    // guardian 0 restarts with room for only ~300 KiB more on its disk
    await gs[0]!.stop()
    const used = (await stat(join(gs[0]!.dir, 'guardian.sqlite3'))).size
    gs[0]!.fileSizeKb = Math.ceil(used / 1024) + 300
    await gs[0]!.start()
    const big = join(work, 'big.bin')
    await writeFile(big, randomBytes(3 * 1024 * 1024))
    await kith(...v('add-source', 'file', big))
    const b = JSON.parse(await kith(...v('backup')))
    expect(b.pushed).toMatchObject({ version: 2, committed: true, receipts: 2 })
    expect(b.pushed.failures).toEqual([expect.objectContaining({ code: 'STORAGE_FAILED' })])
    await waitUntil(
      () => /cannot write to disk/.test(gs[0]!.output),
      () => gs[0]!.output,
    )
    // it still runs, and still holds version 1 intact
    const s = await gs[0]!.status()
    expect(s.vaults[0]).toMatchObject({ version: 1 })
  }, 120_000)
})
