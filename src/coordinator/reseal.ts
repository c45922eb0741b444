/**
 * A source's kept copy across a new data key (docs/format.md §Manifest body, Unread). After the key
 * changes (a guardian removed, `vault heal`, `recover --resume`), the guardians release only the new
 * key's shares, so a copy sealed under the old one would be lost if it were only listed again. It is
 * opened instead from this coordinator's own copy of the previous version's chunks, with that version's
 * key, into a private staging folder, with each file's mode and mtime as recorded; the backup then reads
 * it from there like any source, and still says it is as of the version that read it.
 */
import { randomBytes } from 'node:crypto'
import { chmod, rm, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { ensurePrivateDir } from '../disk/atomic.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import { restoreVersion } from '../replica/restore.js'
import type { PreviousVersion } from './carry.js'
import { vaultPaths } from './paths.js'
import type { Vault } from './vault.js'

/** Kept copies opened for sealing again: where each source's copy is now, and how to remove them. */
export interface Resealed {
  /** By source name: the file (or, for a `dir` source, the folder) to read instead of the source. */
  readonly paths: ReadonlyMap<string, string>
  remove(): Promise<void>
}

/**
 * Open the previous version's copies of `sources` (those it has) under its own key. Throws if this
 * coordinator lacks a chunk of that version (the caller then keeps no copy, and says so).
 */
export async function openKeptCopies(
  vault: Vault,
  previous: PreviousVersion,
  sources: readonly string[],
): Promise<Resealed> {
  const dir = join(vaultPaths(vault.dir).staging, `reseal-${randomBytes(6).toString('hex')}`)
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    await ensurePrivateDir(dir)
    const files = await restoreVersion({
      manifest: previous.manifest,
      dataKeys: vault.dataKeys(previous.manifest.epoch),
      chunks: new DirChunkStore(vaultPaths(vault.dir).chunks),
      outDir: dir,
      workers: 0,
    })
    const paths = new Map<string, string>()
    for (const f of files) {
      if (!sources.includes(f.source)) continue
      const was = previous.body.files.find((b) => b.source === f.source && b.path === f.path)
      // the file as it was read: its mode and mtime are what the new version records again
      if (was !== undefined) {
        await chmod(f.written, was.mode & 0o7777)
        await utimes(f.written, new Date(was.mtime), new Date(was.mtime))
      }
      paths.set(f.source, f.kind === 'dir' ? join(dir, f.source) : f.written)
    }
    return { paths, remove }
  } catch (err) {
    await remove()
    throw err
  }
}
