/**
 * `npm run demo`, the README's first command, as a test: the whole story with real processes, once per
 * CI run (it is the one place the demo runs).
 */
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runTracked } from '../helpers/procs.js'

describe('npm run demo (compiled, spawned)', () => {
  it('tells the whole story with real processes, cleans up, and prints no secret material', async () => {
    const before = (await readdir(tmpdir())).filter((d) => d.startsWith('kith-demo-'))
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
    // it names the restored files as a real recovery leaves them, never paths in the temp dir it removes
    expect(stdout).toMatch(/restored\/lnd-scb\/channel\.backup/)
    expect(stdout).not.toContain(tmpdir())
    // and its temp dir is gone: none of its name is left beside those that were there before
    expect(
      (await readdir(tmpdir())).filter((d) => d.startsWith('kith-demo-') && !before.includes(d)),
    ).toEqual([])
  })
})
