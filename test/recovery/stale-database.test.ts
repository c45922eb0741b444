/**
 * A restored CLN database that its journal cannot bring up to date is never left to be started, and it is
 * said (three in-process guardians, W = 2, the real kith-cln plugin under the lightningd emulator, the
 * recovery through the CLI in-process, real files): renamed `….STALE-DO-NOT-USE` with a `stale-database`
 * event; where the rename fails (its name taken by a folder), deleted, and said. Where neither can be
 * done, `setAsideStale` says the file was left (with its file operations failing on purpose: no file
 * system gives a root test that case), which the recovery turns into STALE_DATABASE_LEFT naming the file;
 * that last step is not run here.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { STALE_SUFFIX, setAsideStale } from '../../src/recovery/journal.js'
import { RecoverRun, statusJson } from '../helpers/cli.js'
import { createClnDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { endOpenRequests, type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

describe('a restored database its journal cannot bring up to date', () => {
  let gs: LocalGuardian[]
  let work: string
  let vault: string

  beforeAll(async () => {
    let dir: string
    let v: (...args: string[]) => string[]
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    const clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    await installPlugin(work, dir, clnDb)
    // five transactions replicated after the snapshot at 5
    const ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    for (let n = 6; n <= 10; n++) expect(await ln.pay(n)).toBe('continue')
    await ln.stop()
    ln.close()
    // the guardians prove transaction 10, and serve none of them: the replay cannot be done
    for (const g of gs) g.guardian.db.journals.entries = () => []
  })

  /** A recovery that every guardian approves (the earlier ones' requests run out first): its outcome. */
  const recover = async (out: string) => {
    endOpenRequests(gs)
    const r = await RecoverRun.approvedBy(vault, gs, out)
    return { run: r, done: await r.done, db: join(out, 'cln-db', 'lightningd.sqlite3') }
  }

  it('is renamed ….STALE-DO-NOT-USE, and the recovery says so and fails', async () => {
    const { run, done, db } = await recover(join(work, 'out-1'))
    expect(done.code).toBe(1)
    expect(done.stderr).toContain('[STREAM_INCOMPLETE]')
    expect(await run.event('stale-database')).toMatchObject({
      journal: 'cln-db',
      action: 'renamed',
      path: db,
      to: `${db}${STALE_SUFFIX}`,
      code: 'STREAM_INCOMPLETE',
    })
    expect(await exists(db)).toBe(false)
    expect(await exists(`${db}${STALE_SUFFIX}`)).toBe(true)
  })

  it('where the rename fails (a folder holds the name), it is deleted, and that is said', async () => {
    const out = join(work, 'out-2')
    const db = join(out, 'cln-db', 'lightningd.sqlite3')
    await mkdir(`${db}${STALE_SUFFIX}`, { recursive: true })
    await writeFile(join(`${db}${STALE_SUFFIX}`, 'something'), 'kept')
    const { run, done } = await recover(out)
    expect(done.code).toBe(1)
    expect(await run.event('stale-database')).toMatchObject({
      action: 'removed',
      path: db,
      error: expect.stringMatching(/^E[A-Z]+$/),
    })
    expect(await exists(db)).toBe(false)
    expect(await exists(join(`${db}${STALE_SUFFIX}`, 'something'))).toBe(true)
  })

  it('where it can be neither renamed nor deleted, the file is left and named, louder than anything', async () => {
    const denied = Object.assign(new Error('refused'), { code: 'EROFS' })
    const r = await setAsideStale(join(await tempDir(), 'lightningd.sqlite3'), {
      rename: async () => {
        throw denied
      },
      unlink: async () => {
        throw denied
      },
    })
    expect(r).toEqual({ action: 'left', error: 'EROFS, then EROFS' })
  })
})
