/**
 * Atomic file writes (real files): a file written from pieces appears whole under its name, 0600, or
 * not at all. A large one is flushed to disk while it is written; that changes nothing it ends with.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../src/disk/atomic.js'
import { tempDir } from '../helpers/tmp.js'

const MiB = 1024 * 1024

describe('writeFileAtomic', () => {
  it('a 40 MiB file from 1 MiB pieces (flushed on the way) is whole, 0600, with no temporary left', async () => {
    const dir = await tempDir()
    const path = join(dir, 'channel.db')
    const hash = createHash('sha256')
    async function* pieces() {
      for (let i = 0; i < 40; i++) {
        const piece = new Uint8Array(randomBytes(MiB))
        hash.update(piece)
        yield piece
      }
    }
    await writeFileAtomic(path, pieces())
    const written = await readFile(path)
    expect(written.length).toBe(40 * MiB)
    expect(createHash('sha256').update(written).digest('hex')).toBe(hash.digest('hex'))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['channel.db'])
  })

  it('a source that fails after 40 MiB leaves nothing, and no temporary', async () => {
    const dir = await tempDir()
    const path = join(dir, 'channel.db')
    async function* failing() {
      for (let i = 0; i < 40; i++) yield new Uint8Array(MiB)
      throw new Error('the network went away')
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('the network went away')
    expect(await readdir(dir)).toEqual([])
  })
})
