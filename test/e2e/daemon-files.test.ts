/**
 * The hurried operator's machine, where it takes a second process: a second daemon started on the same
 * data directory, or on a port another program holds, is refused with a named error and one line, never a
 * stack trace. (The rest of that story runs in process: test/disk/local-files.test.ts.)
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readGuardianConfig, writeGuardianConfig } from '../../src/guardian/config.js'
import { fleet, GuardianProcess, kithResult } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'

const { started } = fleet()

describe('a second daemon on a taken data dir or port', () => {
  it('a second daemon on one data dir gets GUARDIAN_RUNNING, a taken port ADDRESS_IN_USE, never a stack trace', async () => {
    const dir = join(await tempDir(), 'g')
    const g = await GuardianProcess.init(dir)
    started.push(g)
    await g.start()
    const second = await kithResult('guardian', 'start', '--data-dir', dir)
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/already running on .*\[GUARDIAN_RUNNING\]/)
    expect(second.stderr).not.toMatch(/\n\s+at /)
    await g.stop()
    // another program holds the guardian's fixed port
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    const port = (busy.address() as { port: number }).port
    const config = await readGuardianConfig(dir)
    await writeGuardianConfig(dir, { ...config, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    try {
      const taken = await kithResult('guardian', 'start', '--data-dir', dir)
      expect(taken.code).toBe(1)
      expect(taken.stderr).toMatch(/already listens on .*\[ADDRESS_IN_USE\]/)
      expect(taken.stderr).not.toMatch(/\n\s+at /)
    } finally {
      busy.close()
    }
  })
})
