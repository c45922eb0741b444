import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { acquireLock } from '../../src/disk/lock.js'
import { expectCode, tempDir } from '../helpers/tmp.js'

describe('directory lock', () => {
  it('is exclusive while held, and free again once released', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    // the same file, as another live process would see it
    await writeFile(path, `${process.ppid}\n`)
    await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    await writeFile(path, `${process.pid}\n`)
    release()
    acquireLock(path, 'vault')()
  })

  it('takes over a lock whose owner died', async () => {
    const path = join(await tempDir(), 'x.lock')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    })
    await writeFile(path, `${dead.stdout}\n`)
    const release = acquireLock(path, 'vault')
    release()
  })
})
