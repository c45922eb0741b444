/**
 * One writer at a time, and a command takes its turn: while another live process holds the vault (a
 * watch's round, a second command), a backup waits, says so once on stderr, and goes on when the holder
 * is done; a holder that keeps it past the table's `vaultTurn` gets VAULT_BUSY, naming its pid. The
 * holder here is a process of its own that takes and lets go of the vault's lock as kith does
 * (helpers/lock-taker.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { setDurations } from '../../src/time/durations.js'
import { cli, startCli } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'
import { LockTaker } from '../helpers/lock-taker.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

describe('a command takes its turn at the vault', () => {
  let v: (...args: string[]) => string[]
  // a tracked process: the file's afterAll kills it (helpers/procs.ts)
  let holder: LockTaker

  beforeAll(async () => {
    const made = await backedUpVault(2, 2, 2, fleet)
    v = made.v
    holder = await LockTaker.start(vaultPaths(made.dir).lock)
    await made.replace(3100)
  })

  it('waits while another process holds the vault, says so, and backs up once it is let go', async () => {
    expect(await holder.take()).toEqual({ held: true })
    const backup = startCli(...v('backup', '--json'))
    const note = `waiting for another kith process (pid ${holder.pid}) to finish with this vault`
    await waitUntil(() => backup.stderr().includes(note), backup.stderr)
    // the holder's round ends
    await holder.release()
    const r = await backup.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split(note).length).toBe(2) // said once
    expect(JSON.parse(r.stdout)['pushed']).toMatchObject({ version: 2, committed: true })
  })

  it('gives up with VAULT_BUSY, naming the holder, once it has waited its turn out', async () => {
    expect(await holder.take()).toEqual({ held: true })
    const undo = setDurations({ vaultTurn: 300 })
    try {
      const r = await cli(...v('backup'))
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`pid ${holder.pid}.*\\[VAULT_BUSY\\]`))
    } finally {
      undo()
      await holder.release()
    }
  })
})
