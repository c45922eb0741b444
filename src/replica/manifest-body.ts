/**
 * The manifest body (docs/format.md §Manifest body): what a version contains, visible only with the
 * data key. Sources, then files with their chunk order and keyed content hash, then the vault's own
 * state (so a recovered coordinator can resume as the same vault). Paths are checked on decode.
 */

import { MalformedRecordError } from '../codec/errors.js'
import { decodeUnsigned, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema, field, rawItems, type Values } from '../codec/schema.js'
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
  /** CLN's lightningd.sqlite3, continued between snapshots by the journal of its db_write plugin. */
  'cln-db': 6,
  /** CLN's hsm_secret (the node's seed): checked for one of CLN's forms, and for the node id it makes. */
  'cln-hsm': 7,
  /** kith's signer store (LSS and VSS), continued between snapshots by its own journal (`kith lss serve`). */
  'signer-store': 8,
} as const

export type SourceKind = keyof typeof SOURCE_KINDS

const sourceSchema = defineSchema('manifest source', {
  name: field.utf8(1, 128),
  kind: field.enumeration(2, SOURCE_KINDS),
  /** Where the source lived on the original machine (shown at restore, never used as a write path). */
  origin: field.utf8(3, 4096),
})

const fileSchema = defineSchema('manifest file', {
  source: field.utf8(1, 128),
  /** '/'-separated path inside the source; '' for single-file sources. */
  path: field.utf8(2, 4096),
  mode: field.u32(3, { max: 0o7777 }),
  size: field.u64(4),
  mtime: field.u64(5),
  /** TaggedHash("kith/file-content/v1", u64 size || chunk MACs...). */
  contentHash: field.bytes(6, 32),
  /** Chunk ids in file order (a chunk may repeat). */
  chunks: field.packed(7, rawItems(CHUNK_ID_LENGTH), 262_144),
})

/**
 * A source this version did not read (§Manifest body, Unread): its files, if any, are those of an older
 * version, kept unchanged, so nothing here looks newer than it is.
 */
const unreadSchema = defineSchema('manifest unread source', {
  /** Names a source of this body. */
  source: field.utf8(1, 128),
  /** The version whose snapshot its files are; 0: none, it has no file in this version. */
  asOf: field.u64(2),
  /** That version's created_at (ms); 0 with asOf 0. */
  asOfTime: field.u64(3),
  /** The error code of why it was not read (a KithError code: A-Z, 0-9, _). */
  code: field.utf8(4, 64),
})

const schema = defineSchema('manifest body', {
  sources: field.list(1, sourceSchema, 256, 4300),
  files: field.list(2, fileSchema, 100_000, 8_400_000),
  /** The vault's own secrets and settings, opaque here (the coordinator owns its format). */
  vaultState: field.optional(field.varbytes(3, 65_536)),
  /** Sources this version could not read, each carried from an older version or left without files. */
  unread: field.optional(field.list(4, unreadSchema, 256, 256)),
})

export const MANIFEST_BODY = defineRecord({
  kind: 'manifestBody',
  schema,
  version: 1,
  maxBytes: 16 * 1024 * 1024 - 64,
  signed: false,
})

export type BodySource = Values<typeof sourceSchema.fields>
export type BodyFile = Values<typeof fileSchema.fields>
export type BodyUnread = Values<typeof unreadSchema.fields>
export type ManifestBody = Values<typeof schema.fields>

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
  _checkUnread(body, names)
}

/** Each unread source is one of the body's, once; one with no version of its own has no file here. */
function _checkUnread(body: ManifestBody, names: ReadonlySet<string>): void {
  const seen = new Set<string>()
  for (const u of body.unread ?? []) {
    const bad =
      !names.has(u.source) ||
      seen.has(u.source) ||
      !/^[A-Z0-9_]{1,64}$/.test(u.code) ||
      (u.asOf === 0) !== (u.asOfTime === 0) ||
      (u.asOf === 0 && body.files.some((f) => f.source === u.source))
    if (bad) throw new MalformedRecordError('manifest body', 'value', 'unread')
    seen.add(u.source)
  }
}

export function encodeManifestBody(body: ManifestBody): Uint8Array {
  _checkBody(body)
  return encodeRecordBody(MANIFEST_BODY, body)
}

export function decodeManifestBody(bytes: Uint8Array): ManifestBody {
  const body = decodeUnsigned(MANIFEST_BODY, bytes)
  _checkBody(body)
  return body
}
