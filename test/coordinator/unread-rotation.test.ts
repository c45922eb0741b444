/**
 * A source a backup cannot read is carried from the previous version only while that copy is sealed under
 * the data key in force: after the key changes (here: a guardian removed), the guardians release only the
 * new key's shares, so listing the old copy again would lose it. That backup stores nothing and says why.
 */
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Vault } from '../../src/coordinator/vault.js'
import { cli, kithJson } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('a broken source across a new data key', () => {
  it('is not carried: the re-encrypted version is refused with its error, and no copy is dropped', async () => {
    const { gs, work, dir, v } = await backedUpVault(3, 2, 2, fleet)
    const notes = join(work, 'notes.txt')
    await writeFile(notes, 'the seed words are in the safe')
    await kithJson(...v('add-source', 'file', notes, '--name', 'notes'))
    await kithJson(...v('backup'))
    const before = await newest(dir)
    await rm(notes)
    const removed = await cli(...v('remove-guardian', gs[2]!.guardian.peerId))
    expect(removed.code).not.toBe(0)
    expect(removed.stderr).toMatch(/notes/)
    expect(removed.stderr).toMatch(/\[INVALID_SOURCE\]/)
    // nothing new was stored: the newest version is still the one that holds the notes
    expect(await newest(dir)).toBe(before)
  })
})

async function newest(dir: string): Promise<number> {
  const vault = await Vault.open(dir, undefined, {})
  try {
    return vault.db.newestVersion()!.version
  } finally {
    await vault.close()
  }
}
