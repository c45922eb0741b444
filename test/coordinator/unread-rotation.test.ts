/**
 * A source a backup cannot read keeps its last good copy also across a new data key (here: a guardian
 * removed). The guardians release only the new key's shares, so the copy is sealed again under the new
 * key from the coordinator's own chunks, with its mode and mtime, and still said as of the version that
 * read it; a recovery from the remaining guardians gives it back byte for byte.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Vault } from '../../src/coordinator/vault.js'
import { openManifest, openManifestBody } from '../../src/replica/manifest.js'
import { cli, kithJson, RecoverRun } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('a broken source across a new data key', () => {
  it('keeps its last good copy, sealed again under the new key, and recovers byte for byte', async () => {
    const { gs, work, dir, v, vault, scb } = await backedUpVault(4, 2, 2, fleet)
    const notes = join(work, 'notes.txt')
    const words = 'the seed words are in the safe\n'
    await writeFile(notes, words, { mode: 0o400 })
    const channels = await readFile(scb)
    await kithJson(...v('add-source', 'file', notes, '--name', 'notes'))
    await kithJson(...v('backup'))
    const read = (await newest(dir)).version
    await rm(notes)
    const removed = await cli(...v('remove-guardian', gs[3]!.guardian.peerId))
    // the guardian is removed and the rest committed under the new key; the source is said, exit 1
    expect(removed.code).toBe(1)
    expect(removed.stdout).toMatch(
      new RegExp(`source notes NOT backed up: .*; the guardians keep it as of version ${read}`),
    )
    expect(removed.stderr).toMatch(/\[SOURCE_NOT_READ\]/)
    const now = await newest(dir)
    expect(now.epoch).toBeGreaterThan(1)
    expect(now.unread).toEqual([expect.objectContaining({ source: 'notes', asOf: read })])
    // the file as it was read: its size, and its mode, not the staging copy's
    expect(now.files.find((f) => f.source === 'notes')).toMatchObject({ size: words.length, mode: 0o400 })
    // no plaintext is left in staging
    expect(
      (await readdir(join(dir, 'staging')).catch(() => [])).filter((n) => n.startsWith('reseal-')),
    ).toEqual([])

    // every source unreadable at the next key change: a version is made all the same, of kept copies
    await rm(scb)
    const again = await cli(...v('remove-guardian', gs[2]!.guardian.peerId))
    expect(again.code).toBe(1)
    const last = await newest(dir)
    expect(last.epoch).toBeGreaterThan(now.epoch)
    expect(last.unread.map((u) => u.source).sort()).toEqual(['lnd-scb', 'notes'])

    const r = await RecoverRun.approvedBy(vault, [gs[0]!, gs[1]!], join(work, 'out'))
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    const files = r.events.find((e) => e['event'] === 'restore-done')!['files'] as {
      source: string
      path: string
    }[]
    expect(await readFile(files.find((f) => f.source === 'notes')!.path, 'utf8')).toBe(words)
    expect((await readFile(files.find((f) => f.source === 'lnd-scb')!.path)).equals(channels)).toBe(true)
  })
})

/** The newest version's epoch and, from its body (opened with its own key), its files and unread list. */
async function newest(dir: string) {
  const vault = await Vault.open(dir, undefined, {})
  try {
    const m = openManifest(vault.db.newestVersion()!.manifest, vault.vaultId)
    const body = openManifestBody(m, vault.dataKeys(m.epoch).manifestKey)
    return { version: m.version, epoch: m.epoch, files: body.files, unread: body.unread ?? [] }
  } finally {
    await vault.close()
  }
}
