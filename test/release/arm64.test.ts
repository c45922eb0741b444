/**
 * The arm64 release file (a Raspberry Pi's) runs: under qemu-user-static's aarch64 emulator, with a
 * Debian arm64 C runtime as its only libraries (.cache/arm64-sysroot, made by scripts/arm64-sysroot.sh),
 * it prints its version and runs a full `vault drill --restore` of a vault whose three guardians run on
 * this machine: it fetches the newest version from them, opens every chunk, checks every file.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fleet, guardiansAndVault, kith } from '../helpers/daemons.js'
import { runTracked } from '../helpers/procs.js'
import { arm64Runner, releaseFile } from '../helpers/release.js'

const { started } = fleet()

describe('the arm64 release file, emulated', () => {
  let run: (...args: string[]) => ReturnType<typeof runTracked>
  let v: (...args: string[]) => string[]

  beforeAll(async () => {
    const exe = await releaseFile('arm64')
    const runner = await arm64Runner()
    run = (...args) => runTracked(runner.command, [...runner.before, exe, ...args])
    let work: string
    ;({ work, v } = await guardiansAndVault(3, 2, 2, started))
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(5000))
    // a file of several chunks, so the drill's restore opens them in worker threads
    const big = join(work, 'big.bin')
    await writeFile(big, randomBytes(6 * 1024 * 1024))
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('add-source', 'file', big, '--name', 'big'))
    expect(JSON.parse(await kith(...v('backup'))).pushed).toMatchObject({ version: 1, committed: true })
  })

  it('prints its version and release name', async () => {
    const r = await run('--version')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/kith-[^\s)]+-linux-arm64/)
  })

  it('a full drill restores the newest version from the guardians and passes', async () => {
    const r = await run(...v('drill', '--restore'))
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ pass: true, version: 1, restore: { pass: true, version: 1, bad: [] } })
    expect(report.restore.files.map((f: { check: { ok: boolean } }) => f.check.ok)).toEqual([true, true])
  })
})
