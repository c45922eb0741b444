/**
 * The coordinator's and the recovery's logs say what happened (in-process: three guardians on
 * 127.0.0.1, real SQLite, the CLI): each push to each guardian with its version, bytes and time, one that
 * failed with its code and whether it is tried again, the commit; a failed dial with libp2p's reason
 * under p2p/; the recovery's steps and events, each guardian named. One JSON object per line, each with
 * its component and module.
 */
import { readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { kithJson, RecoverRun } from '../helpers/cli.js'
import { jsonLines } from '../helpers/files.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()

type Line = Record<string, unknown>

describe('what the coordinator and the recovery log', () => {
  let gs: LocalGuardian[]
  let work: string
  let v: (...args: string[]) => string[]
  let dir: string
  let vault: string
  let log: Line[]
  let away: string

  beforeAll(async () => {
    const made = await backedUpVault(3, 2, 2, fleet)
    ;({ gs, work, v, dir, vault } = made)
    away = gs[2]!.peerId
    await gs[2]!.stop()
    await made.replace(3100)
    await kithJson(...v('backup'), '--log-level', 'debug')
    log = await jsonLines(join(dir, 'kith.log'))
  })

  it('a push to each guardian reached: its version, bytes, chunks and time', () => {
    const pushed = log.filter((l) => l['event'] === 'pushed' && l['version'] === 2)
    expect(pushed.map((l) => l['guardian']).sort()).toEqual(['friend 0', 'friend 1'])
    for (const l of pushed)
      expect(l).toMatchObject({
        component: 'coordinator',
        module: 'coordinator',
        level: 'info',
        bytes: expect.any(Number),
        chunks: expect.any(Number),
        ms: expect.any(Number),
        peer: expect.stringMatching(/^12D3KooW/),
      })
  })

  it('a guardian away: the push that failed, by code, tried again at its newest address, then given up', () => {
    const failed = log.filter((l) => l['event'] === 'push-failed' && l['guardian'] === 'friend 2')
    expect(failed.map((l) => l['retry'])).toEqual([true, false])
    for (const l of failed) expect(l).toMatchObject({ level: 'warn', code: 'PEER_UNREACHABLE', version: 2 })
    expect(log.find((l) => l['event'] === 'push-retry')).toMatchObject({ version: 2, guardians: 1 })
    expect(log.find((l) => l['event'] === 'push-done' && l['version'] === 2)).toMatchObject({
      receipts: 2,
      quorum: 2,
      committed: true,
      failures: 1,
    })
  })

  it("under p2p/, the failed dial with libp2p's own reason (debug)", () => {
    const dial = log.find((l) => l['event'] === 'dial-failed' && l['peer'] === away)
    expect(dial).toMatchObject({
      module: 'p2p',
      level: 'debug',
      reason: expect.any(String),
      ms: expect.any(Number),
    })
  })

  it('the version built, and the certificate sent to those reached', () => {
    expect(log.find((l) => l['event'] === 'version-built' && l['version'] === 2)).toMatchObject({
      version: 2,
      newChunks: expect.any(Number),
    })
    expect(log.find((l) => l['event'] === 'certificate-sent' && l['version'] === 2)).toMatchObject({
      to: 2,
      of: 3,
    })
  })

  it("a recovery's log: its steps and events, each guardian named, no phone code", async () => {
    // all three answer (3 are needed to be sure), and approve
    await gs[2]!.start()
    const recoverLog = join(work, 'recover.log')
    const r = await RecoverRun.approvedBy(vault, gs, join(work, 'out'), '--log-file', recoverLog)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    const lines = await jsonLines(recoverLog)
    const sent = lines.filter((l) => l['event'] === 'request-sent')
    // before the roster names them, a guardian is the tail of its peer id
    expect(sent.map((l) => l['peerId']).sort()).toEqual(gs.map((g) => g.peerId).sort())
    for (const l of sent) expect(l).not.toHaveProperty('code')
    const shares = lines.filter((l) => l['event'] === 'share-received').map((l) => l['guardian'])
    expect(shares.length).toBeGreaterThanOrEqual(2)
    for (const g of shares) expect(g).toMatch(/^friend \d$/)
    expect(lines.find((l) => l['event'] === 'restoring')).toMatchObject({
      component: 'recovery',
      module: 'recovery',
      version: 2,
    })
    expect(lines.find((l) => l['event'] === 'restore-done')).toMatchObject({ version: 2 })
  })
})

describe('a log file is closed with what wrote it', () => {
  it('commands run in one process keep no descriptor open on the vault log', async () => {
    const { dir, v } = await backedUpVault(2, 2, 2, fleet)
    const path = join(dir, 'kith.log')
    const openOnLog = async () => {
      let n = 0
      for (const fd of await readdir('/proc/self/fd'))
        if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === path) n++
      return n
    }
    for (let i = 0; i < 3; i++) await kithJson(...v('status', '--offline'))
    expect(await readFile(path, 'utf8')).not.toBe('')
    expect(await openOnLog()).toBe(0)
  })
})
