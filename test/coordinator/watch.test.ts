import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type GuardianProcess,
  guardiansAndVault,
  kith,
  kithResult,
  spawnWatch,
  waitUntil,
} from '../helpers/daemons.js'

const started: GuardianProcess[] = []
let watcher: ChildProcess | undefined
afterAll(async () => {
  watcher?.kill('SIGKILL')
  await Promise.all(started.map((g) => g.stop('SIGKILL')))
})

describe('kith vault watch', () => {
  it('5 guardians, 3-of-5, W=3: ten rename-replacements of channel.backup become ten committed versions on all', async () => {
    const { gs, work, dir, v } = await guardiansAndVault(5, 3, 3, started)
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(4000))
    await kith(...v('add-source', 'lnd-scb', scb))

    const spawned = spawnWatch(dir, '--debounce', '200ms', '--retry', '1h')
    watcher = spawned.proc
    const output = spawned.output
    await waitUntil(() => /version 1 committed/.test(output()), output)
    for (let i = 2; i <= 11; i++) {
      // like LND: write a temp file, then rename it over channel.backup
      await writeFile(`${scb}.tmp`, randomBytes(4000 + i))
      await rename(`${scb}.tmp`, scb)
      await waitUntil(() => new RegExp(`version ${i} committed`).test(output()), output)
    }
    // one coordinator process at a time: a second backup is refused, status still answers
    const busy = await kithResult(...v('backup'))
    expect(busy.code).toBe(1)
    expect(busy.stderr).toMatch(/another kith process \(pid \d+\).*\[VAULT_BUSY\]/)
    expect(JSON.parse(await kith(...v('status', '--offline'))).committedVersion).toBe(11)
    watcher.kill('SIGTERM')
    await new Promise((r) => watcher!.once('exit', r))
    expect(output()).toMatch(/stopped/)
    for (const g of gs) expect((await g.status()).vaults[0]!.version).toBe(11)
    const status = JSON.parse(await kith(...v('status')))
    expect(status).toMatchObject({ committedVersion: 11, verdict: 'safe', n: 5 })
  }, 180_000)
})
