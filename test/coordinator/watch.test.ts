import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, rename, writeFile } from 'node:fs/promises'
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

    // a copy of the vault directory, as a careless restore onto a second machine would make
    const twin = join(work, 'twin-vault')
    await cp(dir, twin, { recursive: true })
    const replace = async (size: number) => {
      await writeFile(`${scb}.tmp`, randomBytes(size))
      await rename(`${scb}.tmp`, scb)
    }

    // one guardian down: still committed, and degraded
    await gs[4]!.stop()
    await replace(5012)
    expect(JSON.parse(await kith(...v('backup'))).pushed).toMatchObject({ version: 12, committed: true })
    const degraded = JSON.parse(await kith(...v('status')))
    expect(degraded.verdict).toBe('degraded')
    expect(degraded.reasons.join(' ')).toMatch(/1 guardian\(s\) unreachable/)

    // the twin signs its own version 12: the guardians refuse it and keep the two heads as evidence;
    // the real coordinator hears of it from them on its next status, although it pushed nothing wrong
    await replace(5013)
    expect((await kithResult('vault', 'backup', '--data-dir', twin, '--timeout', '20s')).code).toBe(1)
    const warned = JSON.parse(await kith(...v('status')))
    expect(warned.verdict).toBe('at-risk')
    expect(warned.reasons[0]).toMatch(/^EQUIVOCATION/)
    expect(warned.incidents[0]).toMatchObject({ kind: 'equivocation', version: 12 })

    // three of five down: the backup fails clearly and version 13 waits in the outbox
    await Promise.all([gs[2]!.stop(), gs[3]!.stop()])
    await replace(5014)
    const failed = await kithResult(...v('backup', '--timeout', '15s'))
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/version 13 reached 2 of the 3 guardians.*\[QUORUM_NOT_REACHED\]/)
    expect(JSON.parse(await kith(...v('status', '--offline'))).outbox).toEqual([13])

    // they return: the outbox is delivered, with no version number reused
    await Promise.all([gs[2]!.start(), gs[3]!.start(), gs[4]!.start()])
    const drained = JSON.parse(await kith(...v('backup')))
    expect(drained.drained).toEqual([expect.objectContaining({ version: 13, committed: true })])
    expect(drained.pushed).toBeUndefined()
    const back = JSON.parse(await kith(...v('status')))
    expect(back).toMatchObject({ committedVersion: 13, outbox: [] })
    expect(back.verdict).not.toBe('at-risk')
  }, 240_000)
})
