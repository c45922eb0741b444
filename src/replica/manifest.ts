/**
 * The manifest of one version (docs/format.md §Manifest): a public, signed header (vault, epoch,
 * version, parent hash, time, the chunk ids and sizes a guardian must hold) and an encrypted body
 * (sources, files, chunk order, the vault's own state). Versions step by exactly +1 and name their
 * parent's hash. Nothing from the body is trusted before the header signature and the AEAD check.
 */
import { MalformedRecordError } from '../codec/errors.js'
import {
  decodeRecord,
  defineRecord,
  encodeRecordBody,
  recordId,
  requireSignature,
  SIGNATURE_LENGTH,
} from '../codec/record.js'
import { defineSchema, field, type PackedItem } from '../codec/schema.js'
import { assertBytes } from '../crypto/assert.js'
import { concatBytes, equalBytes, toHex, u64be } from '../crypto/bytes.js'
import { type RandomBytes, systemRandom } from '../crypto/random.js'
import { verifyRecord } from '../crypto/schnorr.js'
import { XCHACHA_NONCE_LENGTH, xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { CHUNK_ID_LENGTH } from './chunk.js'
import { VersionChainError, WrongVaultError } from './errors.js'
import { type Head, headFromSignature, headSignedPart, signHead } from './head.js'
import { decodeManifestBody, encodeManifestBody, type ManifestBody } from './manifest-body.js'

/** Most chunks one version may reference: 256 GiB of 1 MiB chunks, 16 GiB of SQLite pages. */
export const MAX_MANIFEST_CHUNKS = 262_144
export const MAX_BODY_BYTES = 16 * 1024 * 1024
export const ZERO_HASH = new Uint8Array(32)

export interface ChunkRef {
  readonly id: Uint8Array
  /** Stored (encrypted) size in bytes. */
  readonly size: number
}

/** A header chunk entry: id[32] || stored size (u32 BE), sorted by id, unique. */
const CHUNK_REF: PackedItem<ChunkRef> = {
  stride: CHUNK_ID_LENGTH + 4,
  sortKey: CHUNK_ID_LENGTH,
  encode: (c) => {
    const out = new Uint8Array(CHUNK_ID_LENGTH + 4)
    out.set(c.id, 0)
    new DataView(out.buffer).setUint32(CHUNK_ID_LENGTH, c.size)
    return out
  },
  decode: (b) => ({
    id: b.subarray(0, CHUNK_ID_LENGTH),
    size: new DataView(b.buffer, b.byteOffset + CHUNK_ID_LENGTH, 4).getUint32(0),
  }),
}

/** Where a journal stands in this version: its entries up to `position` are in the snapshot. */
export interface JournalMark {
  readonly journal: string
  readonly position: number
  /** The hash of the entry at `position` (or the journal's genesis hash): what the next entry follows. */
  readonly hash: Uint8Array
}

// the record names here and in vault-state.ts keep the journal's historical name, stream
const MARK = defineSchema('stream mark', {
  journal: field.utf8(1, 32),
  position: field.u64(2),
  hash: field.bytes(3, 32),
})

const schema = defineSchema('manifest', {
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2),
  version: field.u64(3, { min: 1 }),
  parent: field.bytes(4, 32),
  createdAt: field.u64(5),
  chunks: field.packed(6, CHUNK_REF, MAX_MANIFEST_CHUNKS),
  body: field.varbytes(7, MAX_BODY_BYTES),
  /** Journals this version's snapshot includes (§Live stream), public so guardians can compact. */
  marks: field.optional(field.list(8, MARK, 16, 128)),
})

export const MANIFEST = defineRecord({
  kind: 'manifest',
  schema,
  version: 1,
  maxBytes: 28 * 1024 * 1024,
  signed: true,
})

/** The public header fields every manifest has. */
export interface ManifestHeader {
  readonly vaultId: Uint8Array
  readonly epoch: number
  readonly version: number
  /** Hash of the parent manifest; all zero for version 1. */
  readonly parent: Uint8Array
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number
  /** Every chunk this version references (sorted by id once sealed). */
  readonly chunks: readonly ChunkRef[]
  /** The journal positions this version's snapshot includes. */
  readonly marks?: readonly JournalMark[]
}

export interface Manifest extends ManifestHeader {
  /** nonce(24) || ciphertext || tag(16) of the body. */
  readonly sealedBody: Uint8Array
  /** The encoded, signed manifest. */
  readonly bytes: Uint8Array
  /** SHA-256 of the signed part: what heads, receipts and children name. */
  readonly hash: Uint8Array
}

/** The body's AAD binds it to one (vault, epoch, version), so bodies cannot be swapped. */
function _bodyAad(vaultId: Uint8Array, epoch: number, version: number): Uint8Array {
  return concatBytes(new TextEncoder().encode('kith/manifest-body/v1'), vaultId, u64be(epoch), u64be(version))
}

export interface ManifestInput extends ManifestHeader {
  readonly body: ManifestBody
}

/** Encrypt the body, then sign the whole manifest with the vault key. */
export function sealManifest(
  input: ManifestInput,
  manifestKey: Uint8Array,
  vaultSecretKey: Uint8Array,
  random: RandomBytes = systemRandom,
): Manifest {
  assertBytes(input.vaultId, 'vaultId', 32)
  assertBytes(input.parent, 'parent', 32)
  // version 1 has no parent; every later version names one
  if ((input.version === 1) !== equalBytes(input.parent, ZERO_HASH)) {
    throw new RangeError('version 1 must have the zero parent, and only version 1')
  }
  const chunks = [...input.chunks].sort((a, b) => Buffer.compare(a.id, b.id))
  const nonce = random(XCHACHA_NONCE_LENGTH)
  const plainBody = encodeManifestBody(input.body)
  const sealedBody = xchachaSeal(
    manifestKey,
    nonce,
    plainBody,
    _bodyAad(input.vaultId, input.epoch, input.version),
    nonce,
  )
  plainBody.fill(0)
  const signedBytes = encodeRecordBody(MANIFEST, {
    vaultId: input.vaultId,
    epoch: input.epoch,
    version: input.version,
    parent: input.parent,
    createdAt: input.createdAt,
    chunks,
    body: sealedBody,
    ...(input.marks !== undefined && input.marks.length > 0 ? { marks: input.marks } : {}),
  })
  const hash = recordId(signedBytes)
  // the manifest ends with its head's signature: one signature per version (§Manifest)
  const head = signHead(
    { vaultId: input.vaultId, epoch: input.epoch, version: input.version, manifestHash: hash },
    vaultSecretKey,
    random,
  )
  const bytes = concatBytes(signedBytes, head.bytes.subarray(head.bytes.length - SIGNATURE_LENGTH))
  const { body: _plain, ...header } = input
  return { ...header, chunks, sealedBody, bytes, hash }
}

/**
 * Decode a manifest and verify its vault signature. With `vaultId`, also require that vault.
 * Keyless: this is what a guardian runs on every offered manifest.
 */
export function openManifest(bytes: Uint8Array, vaultId?: Uint8Array): Manifest {
  const { fields: f, signedBytes, signature } = decodeRecord(MANIFEST, bytes)
  if (vaultId !== undefined && !equalBytes(f.vaultId, vaultId)) throw new WrongVaultError('manifest')
  const hash = recordId(signedBytes)
  const headPart = headSignedPart({
    vaultId: f.vaultId,
    epoch: f.epoch,
    version: f.version,
    manifestHash: hash,
  })
  requireSignature(MANIFEST, verifyRecord('head', headPart, signature, f.vaultId))
  if ((f.version === 1) !== equalBytes(f.parent, ZERO_HASH)) {
    throw new VersionChainError(
      'parent',
      f.version === 1 ? 'zero parent' : 'non-zero parent',
      toHex(f.parent).slice(0, 16),
    )
  }
  const { body: sealedBody, ...header } = f
  return { ...header, sealedBody, bytes, hash }
}

/** The signed head of a manifest, rebuilt from it (no key needed). */
export function headOfManifest(m: Manifest): Head {
  return headFromSignature(
    { vaultId: m.vaultId, epoch: m.epoch, version: m.version, manifestHash: m.hash },
    m.bytes.subarray(m.bytes.length - SIGNATURE_LENGTH),
  )
}

/** Decrypt and decode the body; it must list only chunks the signed header lists. */
export function openManifestBody(manifest: Manifest, manifestKey: Uint8Array): ManifestBody {
  const nonce = manifest.sealedBody.subarray(0, XCHACHA_NONCE_LENGTH)
  const plain = xchachaOpen(
    manifestKey,
    nonce,
    manifest.sealedBody.subarray(XCHACHA_NONCE_LENGTH),
    _bodyAad(manifest.vaultId, manifest.epoch, manifest.version),
    'manifest body',
  )
  const body = decodeManifestBody(plain)
  // a source carried from an older version names an older one: never this version or a later one
  if (body.unread?.some((u) => u.asOf >= manifest.version))
    throw new MalformedRecordError('manifest body', 'value', 'unread')
  const listed = new Set(manifest.chunks.map((c) => toHex(c.id)))
  for (const file of body.files) {
    for (const id of file.chunks) {
      if (!listed.has(toHex(id))) throw new MalformedRecordError('manifest body', 'value', 'chunks')
    }
  }
  return body
}

/** What the successor rule needs of a parent: its place in the chain. */
export type ChainLink = Pick<Manifest, 'vaultId' | 'epoch' | 'version' | 'hash'>

/**
 * The successor rule, for the coordinator building a version and a guardian taking one: same vault,
 * epoch not lower, version exactly +1, and the child names the parent's hash.
 */
export function verifySuccessor(
  parent: ChainLink,
  child: Pick<ManifestHeader, 'vaultId' | 'epoch' | 'version' | 'parent'>,
): void {
  if (!equalBytes(parent.vaultId, child.vaultId)) throw new WrongVaultError('manifest')
  if (child.epoch < parent.epoch)
    throw new VersionChainError('epoch', `>= ${parent.epoch}`, String(child.epoch))
  if (child.version !== parent.version + 1) {
    throw new VersionChainError('version', String(parent.version + 1), String(child.version))
  }
  if (!equalBytes(child.parent, parent.hash)) {
    throw new VersionChainError('parent', toHex(parent.hash).slice(0, 16), toHex(child.parent).slice(0, 16))
  }
}
