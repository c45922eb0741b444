/**
 * The manifest body (docs/format.md §Manifest body): what a version contains, visible only with the
 * data key. Sources, then files with their chunk order and keyed content hash, then the vault's own
 * state (so a recovered coordinator can resume as the same vault). Paths are checked on decode.
 */

import { MalformedRecordError } from '../codec/errors.js'
import { decodeRecord, defineRecord, encodeRecordBody, RecordKind } from '../codec/record.js'
import { defineSchema, type Fields } from '../codec/tlv.js'
import { u64be } from '../crypto/bytes.js'
import { taggedHash } from '../crypto/hash.js'
import { CHUNK_ID_LENGTH } from './chunk.js'
import { UnsafePathError } from './errors.js'

/** What a source is; the number is the on-disk code (§Source kinds). */
export const SOURCE_KINDS = {
  file: 1,
  dir: 2,
  sqlite: 3,
  'lnd-scb': 4,
  'cln-emergency': 5,
} as const

export type SourceKind = keyof typeof SOURCE_KINDS

const KIND_BY_CODE = new Map(Object.entries(SOURCE_KINDS).map(([k, v]) => [v as number, k as SourceKind]))

const sourceSchema = defineSchema('manifest source', [
  { tag: 1, name: 'name', type: 'utf8', max: 128 },
  { tag: 2, name: 'kind', type: 'u8', min: 1, max: 5 },
  { tag: 3, name: 'origin', type: 'utf8', max: 4096 },
])

const fileSchema = defineSchema('manifest file', [
  { tag: 1, name: 'source', type: 'utf8', max: 128 },
  { tag: 2, name: 'path', type: 'utf8', max: 4096 },
  { tag: 3, name: 'mode', type: 'u32', max: 0o7777 },
  { tag: 4, name: 'size', type: 'u64' },
  { tag: 5, name: 'mtime', type: 'u64' },
  { tag: 6, name: 'content_hash', type: 'bytes', length: 32 },
  { tag: 7, name: 'chunks', type: 'packed', stride: CHUNK_ID_LENGTH, maxItems: 262_144 },
])

const schema = defineSchema('manifest body', [
  { tag: 1, name: 'sources', type: 'list', item: sourceSchema, maxItems: 256, maxItemBytes: 4300 },
  { tag: 2, name: 'files', type: 'list', item: fileSchema, maxItems: 100_000, maxItemBytes: 8_400_000 },
  { tag: 3, name: 'vault_state', type: 'varbytes', max: 65_536, optional: true },
])

export const MANIFEST_BODY = defineRecord({
  schema,
  kind: RecordKind.manifestBody,
  version: 1,
  maxBytes: 16 * 1024 * 1024 - 64,
  signed: false,
})

export interface BodySource {
  readonly name: string
  readonly kind: SourceKind
  /** Where the source lived on the original machine (shown at restore, never used as a write path). */
  readonly origin: string
}

export interface BodyFile {
  readonly source: string
  /** '/'-separated path inside the source; '' for single-file sources. */
  readonly path: string
  readonly mode: number
  readonly size: number
  readonly mtime: number
  /** TaggedHash("kith/file-content/v1", u64 size || chunk MACs...). */
  readonly contentHash: Uint8Array
  /** Chunk ids in file order (a chunk may repeat). */
  readonly chunks: readonly Uint8Array[]
}

export interface ManifestBody {
  readonly sources: readonly BodySource[]
  readonly files: readonly BodyFile[]
  /** The vault's own secrets and settings, opaque here (the coordinator owns its format). */
  readonly vaultState?: Uint8Array
}

/** A file's keyed content hash: TaggedHash("kith/file-content/v1", u64 size || chunk MACs...). */
export function fileContentHash(size: number, macs: readonly Uint8Array[]): Uint8Array {
  return taggedHash('kith/file-content/v1', u64be(size), ...macs)
}

/** A source name is one safe path segment. */
export function assertSafeName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new UnsafePathError(name)
  return name
}

/** A file path is relative, '/'-separated, with no empty, '.', '..' or NUL segments. */
export function assertSafeRelativePath(path: string): string {
  if (path === '') return path
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) throw new UnsafePathError(path)
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new UnsafePathError(path)
  }
  return path
}

function _checkBody(body: ManifestBody): void {
  const names = new Set<string>()
  for (const s of body.sources) {
    assertSafeName(s.name)
    if (names.has(s.name)) throw new MalformedRecordError('manifest body', 'value', 'sources')
    names.add(s.name)
  }
  const paths = new Set<string>()
  for (const f of body.files) {
    if (!names.has(f.source)) throw new MalformedRecordError('manifest body', 'value', 'files')
    assertSafeRelativePath(f.path)
    const key = `${f.source}/${f.path}`
    if (paths.has(key)) throw new MalformedRecordError('manifest body', 'value', 'files')
    paths.add(key)
  }
}

export function encodeManifestBody(body: ManifestBody): Uint8Array {
  _checkBody(body)
  return encodeRecordBody(MANIFEST_BODY, {
    sources: body.sources.map((s) => ({ name: s.name, kind: SOURCE_KINDS[s.kind], origin: s.origin })),
    files: body.files.map((f) => ({
      source: f.source,
      path: f.path,
      mode: f.mode,
      size: f.size,
      mtime: f.mtime,
      content_hash: f.contentHash,
      chunks: f.chunks,
    })),
    vault_state: body.vaultState,
  })
}

export function decodeManifestBody(bytes: Uint8Array): ManifestBody {
  const { fields: f } = decodeRecord(MANIFEST_BODY, bytes)
  const body: ManifestBody = {
    sources: (f['sources'] as readonly Fields[]).map((s) => ({
      name: s['name'] as string,
      kind: KIND_BY_CODE.get(s['kind'] as number)!,
      origin: s['origin'] as string,
    })),
    files: (f['files'] as readonly Fields[]).map((x) => ({
      source: x['source'] as string,
      path: x['path'] as string,
      mode: x['mode'] as number,
      size: x['size'] as number,
      mtime: x['mtime'] as number,
      contentHash: x['content_hash'] as Uint8Array,
      chunks: x['chunks'] as readonly Uint8Array[],
    })),
    ...(f['vault_state'] !== undefined ? { vaultState: f['vault_state'] as Uint8Array } : {}),
  }
  _checkBody(body)
  return body
}
