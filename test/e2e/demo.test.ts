/**
 * `npm run demo`, the README's first command, as a test: the whole story with real processes, once per
 * CI run (it is the one place the demo runs).
 */
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runTracked } from '../helpers/procs.js'

describe('npm run demo (compiled, spawned)', () => {
  it('tells the whole story with real processes, cleans up, and prints no secret material', async () => {
    const { code, stdout, stderr } = await runTracked(process.execPath, [
      join(import.meta.dirname, '..', '..', 'dist', 'src', 'demo', 'story.js'),
    ])
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/SAFE: version 3/)
    expect(stdout.match(/☎ you call/g)).toHaveLength(3)
    expect(stdout.match(/does not answer/g)).toHaveLength(2)
    expect(stdout.match(/identical/g)).toHaveLength(2)
    expect(stdout).toMatch(/lncli restorechanbackup/)
    expect(stdout).not.toMatch(/kshare1|kinvite1/)
    // the paths it printed are in its own temp dir, which it removed
    const work = new RegExp(`${tmpdir()}/(kith-demo-\\w+)`).exec(stdout)?.[1]
    expect(work).toBeDefined()
    await expect(stat(join(tmpdir(), work!))).rejects.toThrow(/ENOENT/)
  })
})
