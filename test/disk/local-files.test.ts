/**
 * The hurried operator's machine: data directories and secret files made loosely before kith ran, or by
 * another user; a restore folder with a symbolic link in it; a second daemon started on the same data
 * directory, or on a port another program holds (those two spawn daemons: test/e2e/daemon-files.test.ts).
 * Each is tightened or refused with a named error, and nothing is lost or written where it should not be.
 */
import { randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { generateSecretKey } from '../../src/crypto/schnorr.js'
import { Guardian } from '../../src/guardian/service.js'
import { closeLog, createLog } from '../../src/log.js'
import { buildVersion } from '../../src/replica/build.js'
import { DirChunkStore } from '../../src/replica/chunk-store.js'
import { restoreVersion } from '../../src/replica/restore.js'
import { cli } from '../helpers/cli.js'
import { expectCode, tempDir } from '../helpers/tmp.js'

const mode = async (p: string) => (await stat(p)).mode & 0o777

describe('local files a hurried operator left behind', () => {
  it('a data dir made 0777 with its database and log at 0666 is taken back to 0700 / 0600', async () => {
    const dir = join(await tempDir(), 'guardian')
    await mkdir(dir)
    await chmod(dir, 0o777)
    for (const f of ['guardian.sqlite3', 'kith.log']) {
      await writeFile(join(dir, f), '')
      await chmod(join(dir, f), 0o666)
    }
    expect((await cli('guardian', 'init', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0')).code).toBe(
      0,
    )
    expect(await mode(dir)).toBe(0o700)
    expect(await mode(join(dir, 'guardian.sqlite3'))).toBe(0o600)
    expect(await mode(join(dir, 'peer.key'))).toBe(0o600)
    // the daemon as `kith guardian start` makes it: its JSON log in the data dir
    const log = createLog('guardian', { file: join(dir, 'kith.log') })
    const g = new Guardian({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], log })
    await g.start()
    try {
      expect(await mode(join(dir, 'kith.log'))).toBe(0o600)
    } finally {
      await g.stop()
      closeLog(log)
    }
  })

  it.skipIf(process.getuid?.() !== 0)(
    "another user's data directory is refused, and nothing is written in it (needs root to chown)",
    async () => {
      const dir = join(await tempDir(), 'theirs')
      await mkdir(dir, { mode: 0o700 })
      await chown(dir, 1234, 1234)
      const r = await cli('guardian', 'init', '--data-dir', dir)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/belongs to another user.*\[LOCAL_PATH_REFUSED\]/)
      expect(await readdir(dir)).toEqual([])
      const v = await cli('vault', 'init', '-k', '2', '--data-dir', dir)
      expect(v.stderr).toContain('[LOCAL_PATH_REFUSED]')
      expect(await readdir(dir)).toEqual([])
    },
  )

  it('restore never writes through a symbolic link in the folder it restores into', async () => {
    const root = await tempDir()
    const scb = join(root, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    const keys = deriveDataKeys(new Uint8Array(randomBytes(32)))
    const store = new DirChunkStore(join(root, 'chunks'))
    const v = await buildVersion({
      vaultSecretKey: generateSecretKey(),
      dataKeys: keys,
      epoch: 1,
      sources: [{ name: 'lnd-scb', kind: 'lnd-scb', path: scb }],
      store,
    })
    const elsewhere = join(root, 'elsewhere')
    await mkdir(elsewhere)
    for (const [out, link] of [
      [join(root, 'out'), join(root, 'out', 'lnd-scb')],
      [join(root, 'linked-out'), join(root, 'linked-out')],
    ] as const) {
      if (out !== link) await mkdir(out)
      await symlink(elsewhere, link)
      await expectCode(
        () => restoreVersion({ manifest: v.manifest, dataKeys: keys, chunks: store, outDir: out }),
        'LOCAL_PATH_REFUSED',
      )
      expect(await readdir(elsewhere)).toEqual([])
    }
  })
})
