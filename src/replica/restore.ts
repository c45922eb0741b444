/**
 * Restore the files of one version from any chunk source: every chunk is checked against its id,
 * authenticated, decrypted and checked against its keyed hash (on worker threads); every file against
 * its size and content hash. Files are written atomically (mode 0600) under `outDir`, so a failed restore leaves
 * no partial file, and no manifest path can write outside `outDir`.
 */

import { access, constants } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { inOrderAhead } from '../ahead.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import type { DataKeys } from '../crypto/kdf.js'
import { XCHACHA_NONCE_LENGTH } from '../crypto/xchacha.js'
import { ensurePrivateDir, refuseSymlinks, writeFileAtomic } from '../disk/atomic.js'
import { LocalPathRefusedError } from '../disk/errors.js'
import { KithError } from '../errors.js'
import type { ChunkSource } from './chunk-store.js'
import { ChunkIntegrityError, ChunkMissingError, FileIntegrityError, UnsafePathError } from './errors.js'
import { type Manifest, openManifestBody } from './manifest.js'
import {
  assertSafeName,
  assertSafeRelativePath,
  type BodyFile,
  fileContentHash,
  type SourceKind,
} from './manifest-body.js'
import { ChunkOpener } from './open-pool.js'

export interface RestoreOptions {
  /** A manifest already opened (signature checked) with openManifest. */
  readonly manifest: Manifest
  readonly dataKeys: DataKeys
  readonly chunks: ChunkSource
  readonly outDir: string
  /** Worker threads that open chunks (default: one per core beside this one, at most 3; 0: none). */
  readonly workers?: number
  /** Only the files of these sources (default: every file of the version). */
  readonly sources?: readonly string[]
}

export interface RestoredFile {
  readonly source: string
  readonly kind: SourceKind
  /** Where it lived on the original machine. */
  readonly origin: string
  readonly path: string
  /** Where it was written. */
  readonly written: string
  readonly size: number
  /** The mode it had; restored files are written 0600 regardless. */
  readonly mode: number
}

function _target(outDir: string, file: BodyFile): string {
  const root = resolve(outDir)
  const target = resolve(root, assertSafeName(file.source), assertSafeRelativePath(file.path))
  const rel = relative(root, target)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..') throw new UnsafePathError(file.path)
  return target
}

/**
 * A file's plaintext in order. Chunks are asked for and opened (on the opener's workers) a few ahead of
 * the one being written, so fetching, decrypting and writing overlap; at most `ahead` are held at once.
 */
async function* _plaintext(
  opts: RestoreOptions,
  opener: ChunkOpener,
  file: BodyFile,
  macs: Uint8Array[],
): AsyncGenerator<Uint8Array> {
  const ahead = Math.max(2, opener.workerCount * 2)
  yield* inOrderAhead(file.chunks, ahead, async (id, i) => {
    for (;;) {
      const stored = await opts.chunks.get(id)
      if (stored === undefined) throw new ChunkMissingError(toHex(id))
      // openChunk checks that the nonce is the plaintext's keyed hash: that is the MAC, no second pass
      // (a copy: `stored` may be a Buffer, whose slice() is a view, and it moves to a worker below)
      macs[i] = Uint8Array.from(stored.subarray(1, 1 + XCHACHA_NONCE_LENGTH))
      try {
        return await opener.open(id, stored, opts.chunks.verifiesIds === true)
      } catch (err) {
        // bytes that are not the chunk: their giver is not asked again, and another is asked
        const notIt = err instanceof ChunkIntegrityError && (err.reason === 'hash' || err.reason === 'format')
        if (!notIt || opts.chunks.refused === undefined) throw err
        opts.chunks.refused(id)
      }
    }
  })
}

/**
 * Make `outDir` ready to restore into, or refuse it: a real directory (made 0700 if missing, never through
 * a symbolic link) that this user can write in. `kith recover` calls it before anyone is asked, so a bad
 * --out never costs the friends' approvals.
 */
export async function readyOutDir(outDir: string): Promise<void> {
  await refuseSymlinks(outDir, outDir)
  try {
    await ensurePrivateDir(outDir)
    await access(outDir, constants.W_OK)
  } catch (err) {
    if (err instanceof KithError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new LocalPathRefusedError(
      outDir,
      `this user cannot write there (${typeof code === 'string' ? code : 'EIO'})`,
    )
  }
}

/** Restore every file of `manifest` into `outDir`. */
export async function restoreVersion(opts: RestoreOptions): Promise<RestoredFile[]> {
  const opener = new ChunkOpener(opts.dataKeys, opts.workers !== undefined ? { workers: opts.workers } : {})
  try {
    return await _restore(opts, opener)
  } finally {
    await opener.close()
  }
}

async function _restore(opts: RestoreOptions, opener: ChunkOpener): Promise<RestoredFile[]> {
  const body = openManifestBody(opts.manifest, opts.dataKeys.manifestKey)
  const sources = new Map(body.sources.map((s) => [s.name, s]))
  await readyOutDir(opts.outDir)
  const out: RestoredFile[] = []
  for (const file of body.files) {
    if (opts.sources !== undefined && !opts.sources.includes(file.source)) continue
    const target = _target(opts.outDir, file)
    // never through a symbolic link someone left in the folder (the file itself is replaced by rename)
    await refuseSymlinks(opts.outDir, dirname(target))
    await ensurePrivateDir(dirname(target))
    const macs: Uint8Array[] = []
    let size = 0
    const counted = async function* (src: AsyncIterable<Uint8Array>) {
      for await (const piece of src) {
        size += piece.length
        yield piece
      }
    }
    await writeFileAtomic(target, counted(_plaintext(opts, opener, file, macs)), {
      verify: () => {
        if (size !== file.size) throw new FileIntegrityError(join(file.source, file.path), 'size')
        if (!equalBytes(fileContentHash(size, macs), file.contentHash)) {
          throw new FileIntegrityError(join(file.source, file.path), 'hash')
        }
      },
    })
    const source = sources.get(file.source)!
    out.push({
      source: file.source,
      kind: source.kind,
      origin: source.origin,
      path: file.path,
      written: target,
      size,
      mode: file.mode,
    })
  }
  return out
}
