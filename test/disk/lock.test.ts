import { spawnSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { acquireLock } from '../../src/disk/lock.js'
import { expectCode, tempDir } from '../helpers/tmp.js'

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

describe('directory lock', () => {
  it('is held with our pid in a file of mode 0600', async () => {
    const path = join(await tempDir(), 'x.lock')
    const release = acquireLock(path, 'vault')
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    release()
  })

  it('refuses while another live process holds it, naming its pid', async () => {
    const path = join(await tempDir(), 'x.lock')
    // the parent of this test process is alive and is not us
    await writeFile(path, `${process.ppid}\n`)
    const err = await expectCode(() => acquireLock(path, 'vault'), 'VAULT_BUSY')
    expect(err.message).toContain(`pid ${process.ppid}`)
    expect(await readFile(path, 'utf8')).toBe(`${process.ppid}\n`)
  })

  it('is free again once released', async () => {
    const path = join(await tempDir(), 'x.lock')
    acquireLock(path, 'vault')()
    expect(await exists(path)).toBe(false)
    acquireLock(path, 'vault')()
  })

  it('takes over a lock whose owner died', async () => {
    const path = join(await tempDir(), 'x.lock')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    })
    await writeFile(path, `${dead.stdout}\n`)
    const release = acquireLock(path, 'vault')
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`)
    release()
    expect(await exists(path)).toBe(false)
  })
})
