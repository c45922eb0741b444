/**
 * Where chunks come from and go to. The replica layer only needs `get` (restore) and `put` (build);
 * guardians and the coordinator bring their own stores. DirChunkStore keeps each chunk as a
 * content-addressed file and verifies ids both ways: it never stores or returns a chunk whose bytes
 * do not hash to its id.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { releaseBytes, toHex } from '../crypto/bytes.js'
import { ensurePrivateDir, fsyncDir, writeFileAtomic } from '../disk/atomic.js'
import { verifyChunkId } from './chunk.js'

export interface ChunkSource {
  /** The stored bytes of a chunk, or undefined if this source lacks it. */
  get(id: Uint8Array): Promise<Uint8Array | undefined>
  /** True if get() returns only bytes that hash to the id (a restore then skips a second check). */
  readonly verifiesIds?: boolean
  /**
   * The bytes get() last returned for `id` do not hash to it (the restore checked): whoever gave them
   * is not trusted again, and the next get() of `id` asks elsewhere.
   */
  refused?(id: Uint8Array): void
}

export interface ChunkSink {
  /**
   * Store a chunk; idempotent. Durable once flush() returns. `stored` is the sink's from the call on:
   * the caller never reads it again (DirChunkStore frees it once written).
   */
  put(id: Uint8Array, stored: Uint8Array): Promise<void>
  /** Make every put so far durable. */
  flush?(): Promise<void>
}

/**
 * Chunks as files `<dir>/<id[0:2]>/<id>` (hex): each written to a temp file, fsynced and renamed, so a
 * chunk file is whole or absent; the directories' renames are made durable once per batch by flush().
 */
export class DirChunkStore implements ChunkSource, ChunkSink {
  readonly verifiesIds = true
  private readonly made = new Set<string>()
  private readonly dirty = new Set<string>()

  constructor(readonly dir: string) {}

  private _path(id: Uint8Array): [string, string] {
    const hex = toHex(id)
    const sub = join(this.dir, hex.slice(0, 2))
    return [sub, join(sub, hex)]
  }

  async put(id: Uint8Array, stored: Uint8Array): Promise<void> {
    verifyChunkId(id, stored)
    const [sub, path] = this._path(id)
    try {
      if (await this.has(id)) return
      if (!this.made.has(sub)) {
        await ensurePrivateDir(sub)
        this.made.add(sub)
      }
      await writeFileAtomic(path, stored, { syncDir: false })
      this.dirty.add(sub)
    } finally {
      // freed now, not at a full collection: a build's sealed chunks piled up to 64 MiB otherwise
      releaseBytes(stored)
    }
  }

  async flush(): Promise<void> {
    for (const sub of this.dirty) await fsyncDir(sub)
    this.dirty.clear()
  }

  /**
   * Delete every chunk file whose id (hex) is not in `keep`, and temp files left by a crash.
   * Returns how many files were deleted.
   */
  async retainOnly(keep: ReadonlySet<string>): Promise<number> {
    let deleted = 0
    // a store never written to has no directory yet, and nothing to delete
    const subs = await readdir(this.dir).catch(() => [] as string[])
    for (const sub of subs) {
      const files = await readdir(join(this.dir, sub)).catch(() => [] as string[])
      for (const f of files) {
        if (keep.has(f)) continue
        // a file another sweep removed first is gone either way
        await unlink(join(this.dir, sub, f)).catch(() => undefined)
        deleted++
      }
    }
    return deleted
  }

  async has(id: Uint8Array): Promise<boolean> {
    try {
      await stat(this._path(id)[1])
      return true
    } catch {
      return false // absent, or unreadable: either way it is written again
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array
    try {
      // the file's bytes as they were read: a chunk is up to 4 MiB, and a copy of each doubled what a
      // push allocates per chunk (dead copies wait for a full GC: the coordinator's peak memory)
      const read = await readFile(this._path(id)[1])
      bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    verifyChunkId(id, bytes)
    return bytes
  }
}
