/**
 * Build version v+1 of a vault from its sources and the previous manifest: chunk, seal and store
 * every file, reuse every chunk the previous version already has, then seal and sign the manifest.
 * A source that could not be read may be carried: its files listed as the previous version lists them.
 * It never signs a version that does not extend `previous`, never names a chunk the previous version
 * does not have for a carried file, and never stores a chunk twice in one build. A failure to read a
 * source is an InvalidSourceError naming it, so the caller can carry that one and build again.
 */
import { type FileHandle, open, opendir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { toHex } from '../crypto/bytes.js'
import type { DataKeys } from '../crypto/kdf.js'
import { schnorrPublicKey } from '../crypto/schnorr.js'
import type { ChunkSink } from './chunk-store.js'
import { chunkContentDefined, chunkFixed, gearTable } from './chunker.js'
import { InvalidSourceError, WrongVaultError } from './errors.js'
import { type ChunkRef, type JournalMark, type Manifest, sealManifest, ZERO_HASH } from './manifest.js'
import {
  assertSafeName,
  type BodyFile,
  type BodySource,
  type BodyUnread,
  fileContentHash,
  type ManifestBody,
  type SourceKind,
} from './manifest-body.js'
import { ChunkSealer } from './seal-pool.js'

export interface SourceSpec {
  readonly name: string
  readonly kind: SourceKind
  /** Absolute path on this machine: a file, or a directory for kind 'dir'. Recorded as the origin. */
  readonly path: string
  /** Read this instead of `path` (a consistent snapshot of it, e.g. a SQLite backup copy). */
  readonly readFrom?: string
  /** Not read: these files of the previous version are listed again unchanged (§Manifest body, Unread). */
  readonly carried?: readonly BodyFile[]
  /**
   * Read from `readFrom`, but recorded with these files' mode and mtime (by path in the source): a kept
   * copy sealed again under a new data key is the file it was, not the staging copy it is read from.
   */
  readonly recorded?: ReadonlyMap<string, { readonly mode: number; readonly mtime: number }>
}

export interface BuildOptions {
  readonly vaultSecretKey: Uint8Array
  readonly dataKeys: DataKeys
  readonly epoch: number
  /** The newest version so far, or undefined for version 1. */
  readonly previous?: Manifest
  readonly sources: readonly SourceSpec[]
  readonly store: ChunkSink
  /** Vault secrets and settings to carry in the encrypted body. */
  readonly vaultState?: Uint8Array
  /** Seal threads; default one per core. */
  readonly workers?: number
  /** The journal positions the sources' snapshots include (read from the snapshots themselves). */
  readonly marks?: readonly JournalMark[]
  /** The sources this version did not read, as the body records them. */
  readonly unread?: readonly BodyUnread[]
  readonly now?: () => number
}

export interface BuildResult {
  readonly manifest: Manifest
  readonly body: ManifestBody
  /** Chunks this version stored that the previous one did not have. */
  readonly newChunks: readonly Uint8Array[]
  readonly reusedChunks: number
  readonly bytesRead: number
  readonly bytesStored: number
}

/** Largest single-file Lightning backup accepted (an SCB is a few KiB per channel). */
const MAX_STATIC_BACKUP = 64 * 1024 * 1024

interface FileJob {
  readonly source: SourceSpec
  readonly relPath: string
  readonly absPath: string
}

/** A read of a source that failed, said as that source's failure (the caller may carry it). */
function _unreadable(source: SourceSpec, err: unknown): InvalidSourceError {
  if (err instanceof InvalidSourceError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return new InvalidSourceError(
    source.name,
    `cannot read ${source.path}${typeof code === 'string' ? ` (${code})` : ''}`,
  )
}

async function _listFiles(source: SourceSpec): Promise<FileJob[]> {
  const from = source.readFrom ?? source.path
  let st: Awaited<ReturnType<typeof stat>>
  try {
    st = await stat(from)
  } catch (err) {
    throw _unreadable(source, err)
  }
  if (source.kind !== 'dir') {
    if (!st.isFile()) throw new InvalidSourceError(source.name, `${source.path} is not a regular file`)
    if (
      (source.kind === 'lnd-scb' || source.kind === 'cln-emergency') &&
      (st.size === 0 || st.size > MAX_STATIC_BACKUP)
    ) {
      throw new InvalidSourceError(
        source.name,
        `${source.kind} file is ${st.size} bytes, which cannot be a valid backup`,
      )
    }
    return [{ source, relPath: basename(source.path), absPath: from }]
  }
  if (!st.isDirectory()) throw new InvalidSourceError(source.name, `${source.path} is not a directory`)
  const out: FileJob[] = []
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = []
    for await (const e of await opendir(dir)) entries.push(e)
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const relPath = rel === '' ? e.name : `${rel}/${e.name}`
      // symlinks and special files are skipped: following them could leave the source tree
      if (e.isDirectory()) await walk(join(dir, e.name), relPath)
      else if (e.isFile()) out.push({ source, relPath, absPath: join(dir, e.name) })
    }
  }
  await walk(from, '').catch((err: unknown) => {
    throw _unreadable(source, err)
  })
  return out
}

/** Bytes of a file read at once into each of _read's two buffers: the chunkers' input slice. */
const READ_PIECE = 1024 * 1024

/**
 * The file's bytes in pieces read into two buffers in turn, the next read under way while the caller
 * takes this piece: a piece is valid only until the next is asked for (the chunkers copy each into
 * their window). A buffer per piece made a GiB of garbage per GiB read, which waits for a full GC.
 */
async function* _read(fh: FileHandle, source: SourceSpec): AsyncGenerator<Uint8Array> {
  const buffers = [new Uint8Array(READ_PIECE), new Uint8Array(READ_PIECE)]
  let position = 0
  const readInto = (buffer: Uint8Array) => fh.read(buffer, 0, buffer.length, position)
  let turn = 0
  let next = readInto(buffers[0]!)
  try {
    for (;;) {
      let bytesRead: number
      try {
        ;({ bytesRead } = await next)
      } catch (err) {
        // only the read fails here: the chunker consuming these pieces ends them with return(), never throw()
        throw _unreadable(source, err)
      }
      if (bytesRead === 0) return
      position += bytesRead
      const piece = buffers[turn]!.subarray(0, bytesRead)
      turn ^= 1
      next = readInto(buffers[turn]!)
      yield piece
    }
  } finally {
    // a read still under way ends before the caller closes the file
    await next.catch(() => undefined)
  }
}

/** A carried source's files, each chunk taken from the previous version's list (never stored again). */
function _carry(
  source: SourceSpec,
  files: readonly BodyFile[],
  previous: Manifest | undefined,
  refs: Map<string, ChunkRef>,
): number {
  const held = new Map(previous?.chunks.map((c) => [toHex(c.id), c]) ?? [])
  let reused = 0
  for (const f of files) {
    // a carried file is the previous version's: a chunk it does not list is a caller's mistake
    if (f.source !== source.name) throw new RangeError(`a carried file of ${f.source} under ${source.name}`)
    for (const id of f.chunks) {
      const hex = toHex(id)
      const ref = held.get(hex)
      if (ref === undefined)
        throw new RangeError(`carried chunk ${hex.slice(0, 16)} is not in the previous version`)
      if (refs.has(hex)) continue
      refs.set(hex, ref)
      reused++
    }
  }
  return reused
}

/** New chunks written to the store at once (each write ends with its own fsync). */
const WRITES_AT_ONCE = 4

/** Build, store and sign the next version. */
export async function buildVersion(opts: BuildOptions): Promise<BuildResult> {
  const vaultId = schnorrPublicKey(opts.vaultSecretKey)
  const prev = opts.previous
  if (prev !== undefined && Buffer.compare(prev.vaultId, vaultId) !== 0) throw new WrongVaultError('manifest')
  if (prev !== undefined && opts.epoch < prev.epoch) throw new RangeError('epoch must not go backwards')
  const names = new Set<string>()
  for (const s of opts.sources) {
    assertSafeName(s.name)
    if (names.has(s.name)) throw new InvalidSourceError(s.name, 'duplicate source name')
    names.add(s.name)
  }

  const known = new Set(prev?.chunks.map((c) => toHex(c.id)) ?? [])
  const refs = new Map<string, ChunkRef>()
  const newChunks: Uint8Array[] = []
  const gear = gearTable(opts.dataKeys.gearSeed)
  const sealer = new ChunkSealer(opts.dataKeys, {
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
  })
  const files: BodyFile[] = []
  const writing: Promise<void>[] = []
  let bytesRead = 0
  let bytesStored = 0
  let reused = 0
  try {
    for (const source of opts.sources) {
      if (source.carried !== undefined) {
        reused += _carry(source, source.carried, prev, refs)
        files.push(...source.carried)
        continue
      }
      for (const job of await _listFiles(source)) {
        const fh = await open(job.absPath, 'r').catch((err: unknown) => {
          throw _unreadable(source, err)
        })
        try {
          const st = await fh.stat()
          const pieces = _read(fh, source)
          const paged = source.kind === 'sqlite' || source.kind === 'cln-db' || source.kind === 'signer-store'
          const chunks = paged ? chunkFixed(pieces) : chunkContentDefined(pieces, gear)
          const ids: Uint8Array[] = []
          const macs: Uint8Array[] = []
          let size = 0
          for await (const sealed of sealer.seal(chunks)) {
            const hex = toHex(sealed.id)
            size += sealed.plainLength
            ids.push(sealed.id)
            macs.push(sealed.mac)
            if (refs.has(hex)) continue
            refs.set(hex, { id: sealed.id, size: sealed.stored.length })
            if (known.has(hex)) {
              reused++
              continue
            }
            newChunks.push(sealed.id)
            bytesStored += sealed.stored.length
            // a few writes under way at once: each waits on its own fsync (the store takes the bytes)
            const write = opts.store.put(sealed.id, sealed.stored)
            write.catch(() => {}) // awaited below, in order; this only silences the early-rejection warning
            writing.push(write)
            if (writing.length >= WRITES_AT_ONCE) await writing.shift()
          }
          bytesRead += size
          const was = source.recorded?.get(job.relPath)
          files.push({
            source: source.name,
            path: job.relPath,
            mode: was?.mode ?? st.mode & 0o7777,
            size,
            mtime: was?.mtime ?? Math.floor(st.mtimeMs),
            contentHash: fileContentHash(size, macs),
            chunks: ids,
          })
        } finally {
          await fh.close()
        }
      }
    }
    for (const write of writing.splice(0)) await write
  } finally {
    await sealer.close()
    await Promise.allSettled(writing)
  }
  // every new chunk is durable before a manifest can name it
  await opts.store.flush?.()

  const sources: BodySource[] = opts.sources.map((s) => ({ name: s.name, kind: s.kind, origin: s.path }))
  const body: ManifestBody = {
    sources,
    files,
    ...(opts.vaultState ? { vaultState: opts.vaultState } : {}),
    ...(opts.unread !== undefined && opts.unread.length > 0 ? { unread: opts.unread } : {}),
  }
  const manifest = sealManifest(
    {
      vaultId,
      epoch: opts.epoch,
      version: prev === undefined ? 1 : prev.version + 1,
      parent: prev === undefined ? ZERO_HASH : prev.hash,
      createdAt: (opts.now ?? Date.now)(),
      chunks: [...refs.values()],
      body,
      ...(opts.marks !== undefined ? { marks: opts.marks } : {}),
    },
    opts.dataKeys.manifestKey,
    opts.vaultSecretKey,
  )
  return { manifest, body, newChunks, reusedChunks: reused, bytesRead, bytesStored }
}
