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
  RecordKind,
  recordId,
  requireSignature,
  SIGNATURE_LENGTH,
} from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
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

const schema = defineSchema('manifest', [
  { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
  { tag: 2, name: 'epoch', type: 'u64' },
  { tag: 3, name: 'version', type: 'u64', min: 1 },
  { tag: 4, name: 'parent', type: 'bytes', length: 32 },
  { tag: 5, name: 'created_at', type: 'u64' },
  // id(32) || stored size(u32 BE), sorted by id, unique
  { tag: 6, name: 'chunks', type: 'packed', stride: 36, maxItems: MAX_MANIFEST_CHUNKS, sortKey: 32 },
  { tag: 7, name: 'body', type: 'varbytes', max: MAX_BODY_BYTES },
])

export const MANIFEST = defineRecord({
  schema,
  kind: RecordKind.manifest,
  version: 1,
  maxBytes: 28 * 1024 * 1024,
  signed: true,
})

export interface ChunkRef {
  readonly id: Uint8Array
  /** Stored (encrypted) size in bytes. */
  readonly size: number
}

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
    vault_id: input.vaultId,
    epoch: input.epoch,
    version: input.version,
    parent: input.parent,
    created_at: input.createdAt,
    chunks: chunks.map((c) => concatBytes(c.id, _u32(c.size))),
    body: sealedBody,
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

function _u32(v: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, v)
  return b
}

/**
 * Decode a manifest and verify its vault signature. With `vaultId`, also require that vault.
 * Keyless: this is what a guardian runs on every offered manifest.
 */
export function openManifest(bytes: Uint8Array, vaultId?: Uint8Array): Manifest {
  const { fields: f, signedBytes, signature } = decodeRecord(MANIFEST, bytes)
  const id = f['vault_id'] as Uint8Array
  if (vaultId !== undefined && !equalBytes(id, vaultId)) throw new WrongVaultError('manifest')
  const hash = recordId(signedBytes)
  const headPart = headSignedPart({
    vaultId: id,
    epoch: f['epoch'] as number,
    version: f['version'] as number,
    manifestHash: hash,
  })
  requireSignature(MANIFEST, verifyRecord('head', headPart, signature, id))
  const version = f['version'] as number
  const parent = f['parent'] as Uint8Array
  if ((version === 1) !== equalBytes(parent, ZERO_HASH)) {
    throw new VersionChainError(
      'parent',
      version === 1 ? 'zero parent' : 'non-zero parent',
      toHex(parent).slice(0, 16),
    )
  }
  const chunks = (f['chunks'] as readonly Uint8Array[]).map((c) => ({
    id: c.subarray(0, CHUNK_ID_LENGTH),
    size: new DataView(c.buffer, c.byteOffset + CHUNK_ID_LENGTH, 4).getUint32(0),
  }))
  return {
    vaultId: id,
    epoch: f['epoch'] as number,
    version,
    parent,
    createdAt: f['created_at'] as number,
    chunks,
    sealedBody: f['body'] as Uint8Array,
    bytes,
    hash,
  }
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
  const listed = new Set(manifest.chunks.map((c) => toHex(c.id)))
  for (const file of body.files) {
    for (const id of file.chunks) {
      if (!listed.has(toHex(id))) throw new MalformedRecordError('manifest body', 'value', 'chunks')
    }
  }
  return body
}

/** Require `child` to extend `parent`: same vault, epoch not lower, version +1, parent hash. */
export function verifySuccessor(parent: Manifest, child: Manifest): void {
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
