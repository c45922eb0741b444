/**
 * The full drill (`kith vault drill --restore`) against three guardians, 2-of-3, W=2: the newest version
 * restored from the guardians (not this machine's chunks) into a private temp dir, each file checked for
 * its kind and compared with the live one, the dir removed, the result in status. One guardian serving
 * corrupted chunks is named and made up for; a chunk bad at every guardian fails the drill. Guardians
 * and the CLI run in this process; a guardian's chunks are damaged in its SQLite while it is stopped.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runRestoreDrill } from '../../src/coordinator/drill-restore.js'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { Vault } from '../../src/coordinator/vault.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { cli, kithJson, statusJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()
let gs: LocalGuardian[]
let work: string
let dir: string
let v: (...args: string[]) => string[]
let scb: string
let db: string

interface Report {
  pass: boolean
  version: number
  guardians: { label: string; pass: boolean; chunksOk: number; chunksChecked: number }[]
  restore: {
    pass: boolean
    version: number
    holders: string[]
    bad: { guardian: string; what: string }[]
    files: {
      source: string
      kind: string
      check: { ok: boolean; summary?: string }
      live?: string
      note?: string
    }[]
    failure?: { code: string; reason: string }
    dir: string
  }
}

/** Change a stopped guardian's database by hand, as a failing disk or a tamperer would. */
const tamper = async (g: LocalGuardian, fn: (db: Database) => void) => {
  await g.stop()
  const gdb = new Database(join(g.dir, 'guardian.sqlite3'))
  try {
    fn(gdb)
  } finally {
    gdb.close()
  }
  await g.start()
}

/** Flip the last byte of the stored chunks `where` selects. */
const corrupt = (where: string) => (gdb: Database) => {
  for (const row of gdb.prepare(`SELECT id, data FROM chunks ${where}`).all() as {
    id: Buffer
    data: Buffer
  }[]) {
    row.data[row.data.length - 1]! ^= 1
    gdb.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id)
  }
}

const fullDrill = async () => {
  const r = await cli(...v('drill', '--restore', '--json'))
  return { ...r, report: JSON.parse(r.stdout) as Report }
}

/** Run `fn` while `path` is moved aside, then put it back. */
async function whileAway<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await rename(path, `${path}.away`)
  try {
    return await fn()
  } finally {
    await rename(`${path}.away`, path)
  }
}

/** The restore part alone, through the library, into a temp root of this test's: what is left there after. */
async function restoreInto(root: string) {
  const vault = await Vault.open(dir)
  try {
    return await runRestoreDrill(vault, { tmpRoot: root })
  } finally {
    await vault.close()
  }
}

describe('the full drill restores the newest version from the guardians (3 guardians, 2-of-3, W=2)', () => {
  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    // a SQLite source of several 64 KiB chunks, so each guardian is asked first for some of them
    db = join(work, 'app.sqlite3')
    const sq = new Database(db)
    sq.exec('CREATE TABLE t (x BLOB)')
    for (let i = 0; i < 20; i++) sq.prepare('INSERT INTO t VALUES (?)').run(randomBytes(16_000))
    sq.close()
    await kithJson(...v('add-source', 'lnd-scb', scb))
    await kithJson(...v('add-source', 'sqlite', db, '--name', 'app'))
    await kithJson(...v('backup'))
  }, 120_000)

  it("restores from the guardians, not this machine's chunks, checks each file and finds the live ones the same", async () => {
    // this machine's copy of the version's chunks is away: the restore cannot have read it
    const r = await whileAway(vaultPaths(dir).chunks, fullDrill)
    expect(r.code).toBe(0)
    expect(r.report).toMatchObject({ pass: true, version: 1, restore: { pass: true, version: 1, bad: [] } })
    expect(r.report.restore.holders).toHaveLength(3)
    const byKind = Object.fromEntries(r.report.restore.files.map((f) => [f.kind, f]))
    expect(byKind['lnd-scb']).toMatchObject({ check: { ok: true }, live: 'same' })
    expect(byKind['lnd-scb']!.check.summary).toMatch(/^LND channel\.backup/)
    expect(byKind['sqlite']).toMatchObject({ check: { ok: true }, live: 'same' })
    expect(byKind['sqlite']!.check.summary).toMatch(/^SQLite, \d+ pages of 4096 bytes, quick_check ok/)
    expect(existsSync(r.report.restore.dir)).toBe(false)
    const status = await statusJson(...v('status'))
    expect(status['lastFullDrill']).toMatchObject({ version: 1, pass: true, bad: [], failed: [] })
    expect(status['verdict']).toBe('safe')
    const human = await cli(...v('status'))
    expect(human.stdout).toMatch(/last full drill .* ago, version 1: PASSED\n/)
  })

  it('says which live files changed since the version and which are missing; neither fails the drill', async () => {
    await writeFile(scb, randomBytes(3100))
    const r = await whileAway(db, fullDrill)
    expect(r.code).toBe(0)
    const byKind = Object.fromEntries(r.report.restore.files.map((f) => [f.kind, f]))
    expect(byKind['lnd-scb']).toMatchObject({
      live: 'changed',
      note: 'the live file changed since version 1',
    })
    expect(byKind['sqlite']).toMatchObject({ live: 'missing' })
    // a database is compared by its facts: rows written since the version change no fact
    const sq = new Database(db)
    sq.prepare('INSERT INTO t VALUES (?)').run(randomBytes(100))
    sq.close()
    const again = await fullDrill()
    expect(again.report.restore.files.find((f) => f.kind === 'sqlite')).toMatchObject({ live: 'same' })
  })

  it('leaves nothing in its temp location after a pass', async () => {
    const root = await tempDir('kith-drill-root-')
    const r = await restoreInto(root)
    expect(r.pass).toBe(true)
    expect(await readdir(root)).toEqual([])
  })

  it('one guardian serving corrupted chunks, the others the right ones: the drill passes and names it, in its report and in status', async () => {
    await tamper(gs[0]!, corrupt(''))
    const r = await fullDrill()
    expect(r.code).toBe(0)
    expect(r.report.pass).toBe(true)
    expect(r.report.restore.pass).toBe(true)
    const label = r.report.guardians.find((g) => g.chunksOk < g.chunksChecked)!.label
    expect(r.report.restore.bad).toEqual([{ guardian: label, what: 'chunk' }])
    const human = await cli(...v('drill', '--restore'))
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`bad data from ${label}: a chunk that does not match its id`)
    const status = await statusJson(...v('status'))
    expect(status['lastFullDrill']).toMatchObject({ pass: true, bad: [{ guardian: label, what: 'chunk' }] })
    expect(status['verdict']).toBe('degraded')
    expect(status['reasons']).toContain(
      `the last full drill (version 1) got bad data from ${label}: ask them to check their disk`,
    )
  })

  it('a chunk bad at every guardian fails the drill loudly, and status shows it', async () => {
    // one chunk of version 1, at the two guardians that still held it right
    const where =
      'WHERE id IN (SELECT chunk_id FROM manifest_chunks WHERE version = 1 ORDER BY chunk_id LIMIT 1)'
    for (const g of gs.slice(1)) await tamper(g, corrupt(where))
    const r = await fullDrill()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[DRILL_FAILED]')
    expect(r.stderr).toContain('the restore of version 1')
    expect(r.report.pass).toBe(false)
    expect(r.report.restore).toMatchObject({ pass: false, failure: { code: 'CHUNK_MISSING' } })
    expect(r.report.restore.bad.map((b) => b.guardian).sort()).toEqual(
      r.report.guardians.map((g) => g.label).sort(),
    )
    expect(existsSync(r.report.restore.dir)).toBe(false)
    const status = await statusJson(...v('status'))
    expect(status['lastFullDrill']).toMatchObject({
      version: 1,
      pass: false,
      failure: { code: 'CHUNK_MISSING' },
    })
    expect(status['verdict']).not.toBe('safe')
    expect(
      (status['reasons'] as string[]).some((x) =>
        x.startsWith('the last full drill (version 1) FAILED [CHUNK_MISSING]'),
      ),
    ).toBe(true)
    const human = await cli(...v('status'))
    expect(human.stdout).toMatch(
      /last full drill .* ago, version 1: FAILED \[CHUNK_MISSING\]; bad data from /,
    )
  })

  it('leaves nothing in its temp location after a failure', async () => {
    const root = await tempDir('kith-drill-root-')
    const r = await restoreInto(root)
    expect(r).toMatchObject({ pass: false, failure: { code: 'CHUNK_MISSING' } })
    expect(await readdir(root)).toEqual([])
  })
})
