/**
 * Restore the files of one version from any chunk source: every chunk is checked against its id,
 * authenticated, decrypted and checked against its keyed hash; every file against its size and
 * content hash. Files are written atomically (mode 0600) under `outDir`, so a failed restore leaves
 * no partial file, and no manifest path can write outside `outDir`.
 */
import { dirname, join, relative, resolve, sep } from 'node:path'
import { equalBytes, toHex } from '../crypto/bytes.js'
import type { DataKeys } from '../crypto/kdf.js'
import { XCHACHA_NONCE_LENGTH } from '../crypto/xchacha.js'
import { ensurePrivateDir, refuseSymlinks, writeFileAtomic } from '../disk/atomic.js'
import { openChunk } from './chunk.js'
import type { ChunkSource } from './chunk-store.js'
import { ChunkMissingError, FileIntegrityError, UnsafePathError } from './errors.js'
import { type Manifest, openManifestBody } from './manifest.js'
import {
  assertSafeName,
  assertSafeRelativePath,
  type BodyFile,
  fileContentHash,
  type SourceKind,
} from './manifest-body.js'

export interface RestoreOptions {
  /** A manifest already opened (signature checked) with openManifest. */
  readonly manifest: Manifest
  readonly dataKeys: DataKeys
  readonly chunks: ChunkSource
  readonly outDir: string
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

async function* _plaintext(
  opts: RestoreOptions,
  file: BodyFile,
  macs: Uint8Array[],
): AsyncGenerator<Uint8Array> {
  for (const id of file.chunks) {
    const stored = await opts.chunks.get(id)
    if (stored === undefined) throw new ChunkMissingError(toHex(id))
    const plain = openChunk(opts.dataKeys, id, stored, opts.chunks.verifiesIds === true)
    // openChunk checked that the nonce is the plaintext's keyed hash: that is the MAC, no second pass
    macs.push(stored.slice(1, 1 + XCHACHA_NONCE_LENGTH))
    yield plain
  }
}

/** Restore every file of `manifest` into `outDir`. */
export async function restoreVersion(opts: RestoreOptions): Promise<RestoredFile[]> {
  const body = openManifestBody(opts.manifest, opts.dataKeys.manifestKey)
  const sources = new Map(body.sources.map((s) => [s.name, s]))
  await refuseSymlinks(opts.outDir, opts.outDir)
  await ensurePrivateDir(opts.outDir)
  const out: RestoredFile[] = []
  for (const file of body.files) {
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
    await writeFileAtomic(target, counted(_plaintext(opts, file, macs)), {
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
