/**
 * A source's kept copy across a new data key (docs/format.md §Manifest body, Unread). After the key
 * changes (a guardian removed, `vault heal`, `recover --resume`), the guardians release only the new
 * key's shares, so a copy sealed under the old one would be lost if it were only listed again. It is
 * opened instead from this coordinator's own copy of the previous version's chunks, with that version's
 * key (each chunk authenticated), into a private folder under staging/ (0700, files 0600), and the backup
 * reads it from there like any source, recorded with the mode and mtime it had, and still said to be as
 * of the version that read it. Only the sources asked for are opened; the folder is removed after the
 * build, and any a crash left behind is removed by the next backup.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensurePrivateDir } from '../disk/atomic.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import type { SourceKind } from '../replica/manifest-body.js'
import { restoreVersion } from '../replica/restore.js'
import type { OpenedCopy, PreviousVersion } from './carry.js'
import { vaultPaths } from './paths.js'
import type { Vault } from './vault.js'

const PREFIX = 'reseal-'

export interface Reopened {
  readonly copies: ReadonlyMap<string, OpenedCopy>
  remove(): Promise<void>
}

/**
 * Open the previous version's copies of `sources` under its own key. Throws if this coordinator lacks
 * one of their chunks, or one does not authenticate (the caller then keeps no copy of them, and says so).
 */
export async function openKeptCopies(
  vault: Vault,
  previous: PreviousVersion,
  sources: readonly { readonly name: string; readonly kind: SourceKind }[],
): Promise<Reopened> {
  const dir = join(vaultPaths(vault.dir).staging, `${PREFIX}${randomBytes(6).toString('hex')}`)
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    await ensurePrivateDir(vaultPaths(vault.dir).staging)
    await ensurePrivateDir(dir)
    const restored = await restoreVersion({
      manifest: previous.manifest,
      dataKeys: vault.dataKeys(previous.manifest.epoch),
      chunks: new DirChunkStore(vaultPaths(vault.dir).chunks),
      outDir: dir,
      workers: 0,
      sources: sources.map((s) => s.name),
    })
    const copies = new Map<string, OpenedCopy>()
    for (const s of sources) {
      const files = previous.body.files.filter((f) => f.source === s.name)
      const recorded = new Map(files.map((f) => [f.path, { mode: f.mode, mtime: f.mtime }]))
      if (s.kind === 'dir') {
        // a folder kept with no file in it is still a copy: an empty folder
        await mkdir(join(dir, s.name), { recursive: true, mode: 0o700 })
        copies.set(s.name, { readFrom: join(dir, s.name), recorded })
        continue
      }
      const written = restored.find((f) => f.source === s.name)?.written
      if (written !== undefined) copies.set(s.name, { readFrom: written, recorded })
    }
    return { copies, remove }
  } catch (err) {
    await remove()
    throw err
  }
}

/** Remove the folders an earlier backup opened kept copies in and did not live to remove (a crash). */
export async function sweepKeptCopies(vault: Vault): Promise<void> {
  const staging = vaultPaths(vault.dir).staging
  const names = await readdir(staging).catch(() => [] as string[])
  await Promise.allSettled(
    names
      .filter((n) => n.startsWith(PREFIX))
      .map((n) => rm(join(staging, n), { recursive: true, force: true })),
  )
}
