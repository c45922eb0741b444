/**
 * A guardian's identity is made once, by `kith guardian init`. With its guardian.json but no peer.key (a
 * partial restore, a file deleted), nothing makes a new one behind the friend's back: the daemon does
 * not start, and neither status nor an invite runs; each says GUARDIAN_KEY_MISSING and no key appears.
 */
import { rm, stat } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { guardianPaths } from '../../src/guardian/config.js'
import { Guardian } from '../../src/guardian/service.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { cli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('a guardian without its key', () => {
  it('is refused by the daemon, status and invite, and no new identity is made', async () => {
    const dir = await tempDir('kith-g-')
    await initGuardian(dir, { listen: ['/ip4/127.0.0.1/tcp/0'] })
    await rm(guardianPaths(dir).peerKey)
    const daemon = new Guardian({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'] })
    await expect(daemon.start()).rejects.toMatchObject({ code: 'GUARDIAN_KEY_MISSING' })
    await daemon.stop()
    for (const args of [['status'], ['invite', '--label', 'bob']]) {
      const r = await cli('guardian', ...args, '--data-dir', dir)
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(/\[GUARDIAN_KEY_MISSING\]/)
    }
    await expect(stat(guardianPaths(dir).peerKey)).rejects.toThrow(/ENOENT/)
  })
})
