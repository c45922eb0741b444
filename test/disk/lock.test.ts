/**
 * The directory lock (disk/lock.ts), held by SQLite's POSIX lock, which the kernel drops with its
 * holder: a second taker in this process or another is refused and names the holder, a release lets go
 * of the database at once, and from the crash's side, a holder SIGKILLed leaves a lock exactly one of
 * many takers started at one instant gets, while a live holder is never displaced. The other processes
 * are tiny ones of their own (helpers/lock-taker.ts); every step waits for what they say.
 */
import { readdirSync, readlinkSync, realpathSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { acquireLock, acquireLockWaiting, lockFiles } from '../../src/disk/lock.js'
import { LockTaker, type TakeResult } from '../helpers/lock-taker.js'
import { expectCode, tempDir } from '../helpers/tmp.js'

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

/** How many descriptors this process has open on `path` (Linux). */
const openDescriptors = (file: string, path = realpathSync(file)) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false // the directory's own descriptor, closed while it was read
    }
  }).length

/** `count` takers ready at once, told to take the lock at one instant; what each said. */
async function takeAtOnce(path: string, count: number): Promise<{ taker: LockTaker; said: TakeResult }[]> {
  const takers = await Promise.all(Array.from({ length: count }, () => LockTaker.start(path)))
  const said = await Promise.all(takers.map((t) => t.take()))
  return takers.map((taker, i) => ({ taker, said: said[i]! }))
}

describe('directory lock', () => {
  it('is held with our pid in its file, and by SQLite on an empty database beside it, both 0600', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    // stat only: opening the database here and closing it would drop this process's lock
    const database = await stat(lockFiles(path).database)
    expect(database.mode & 0o777).toBe(0o600)
    expect(database.size).toBe(0)
    release()
  })

  it('refuses a second taker in this process, naming this process', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    const err = await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    expect(err.message).toContain(`pid ${process.pid}`)
    release()
  })

  it('stays held against other processes after a taker in this process was refused', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    for (let i = 0; i < 3; i++) await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    const other = await LockTaker.start(path)
    expect(await other.take()).toEqual({ held: false, holder: process.pid })
    release()
    expect(await other.take()).toEqual({ held: true })
    await other.kill()
  })

  it('is free again once released, keeps its database, and a second release does nothing', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    release()
    release()
    expect(await exists(path)).toBe(false)
    // never removed: a taker waiting on the old file while a new one is made would be a second holder
    expect(await exists(lockFiles(path).database)).toBe(true)
    acquireLock(path, 'vault')()
  })

  it('closes its database when released, and the descriptors of refused takers with it', async () => {
    const path = join(await tempDir(), 'x.lock')
    const database = lockFiles(path).database
    const release = acquireLock(path, 'vault')
    expect(openDescriptors(database)).toBe(1)
    // SQLite keeps a refused connection's descriptor open while the lock is held (closing it would drop it)
    await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    release()
    expect(openDescriptors(database)).toBe(0)
  })

  it('waits while another process holds it, hears its pid once, and takes it once let go', async () => {
    const path = join(await tempDir(), 'x.lock')
    const holder = await LockTaker.start(path)
    expect(await holder.take()).toEqual({ held: true })
    const heard: number[] = []
    let waiting!: () => void
    const began = new Promise<void>((r) => {
      waiting = r
    })
    const taking = acquireLockWaiting(path, 'vault', 60_000, (pid) => {
      heard.push(pid)
      waiting()
    })
    await began
    await holder.release()
    const release = await taking
    expect(heard).toEqual([holder.pid])
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`)
    release()
    await holder.kill()
  })
})

describe('directory lock, from the side of a crash', () => {
  it('after its holder is SIGKILLed, exactly one of 8 takers started at once gets it, and the others name it', async () => {
    const path = join(await tempDir(), 'x.lock')
    const holder = await LockTaker.start(path)
    expect(await holder.take()).toEqual({ held: true })
    await holder.kill()
    // the crash leaves the pid behind; it decides nothing
    expect(await readFile(path, 'utf8')).toBe(`${holder.pid}\n`)
    const takers = await takeAtOnce(path, 8)
    const winners = takers.filter((t) => t.said.held)
    expect(winners).toHaveLength(1)
    const winner = winners[0]!.taker.pid
    for (const t of takers) if (!t.said.held) expect(t.said).toEqual({ held: false, holder: winner })
    expect(await readFile(path, 'utf8')).toBe(`${winner}\n`)
    await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    await Promise.all(takers.map((t) => t.taker.kill()))
  })

  it('a live holder is never displaced: 8 takers started at once are all refused, naming it', async () => {
    const path = join(await tempDir(), 'x.lock')
    const holder = await LockTaker.start(path)
    expect(await holder.take()).toEqual({ held: true })
    const takers = await takeAtOnce(path, 8)
    for (const t of takers) expect(t.said).toEqual({ held: false, holder: holder.pid })
    expect(await readFile(path, 'utf8')).toBe(`${holder.pid}\n`)
    await holder.release()
    expect(await takers[0]!.taker.take()).toEqual({ held: true })
    await Promise.all([holder, ...takers.map((t) => t.taker)].map((t) => t.kill()))
  })
})
