/**
 * Heads (docs/format.md §Head): the vault's signed claim "version v of epoch e is manifest h"; gossip
 * carries it. Its signature is the one that ends the manifest, so anyone holding a manifest can rebuild
 * its head. Two heads of one version naming different manifests prove equivocation.
 */
import { decodeVaultSigned, defineRecord, encodeRecordBody, encodeVaultSigned } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { assertBytes } from '../crypto/assert.js'
import { concatBytes, equalBytes } from '../crypto/bytes.js'
import type { RandomBytes } from '../crypto/random.js'
import { EquivocationEvidenceError } from './errors.js'

const headSchema = defineSchema('head', {
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2),
  version: field.u64(3, { min: 1 }),
  manifestHash: field.bytes(4, 32),
})

export const HEAD = defineRecord({
  kind: 'head',
  schema: headSchema,
  version: 1,
  maxBytes: 256,
  signed: true,
  tag: 'head',
})

export type HeadFields = Values<typeof headSchema.fields>

export interface Head extends HeadFields {
  readonly bytes: Uint8Array
}

const _fields = (f: HeadFields): HeadFields => ({
  vaultId: f.vaultId,
  epoch: f.epoch,
  version: f.version,
  manifestHash: f.manifestHash,
})

/** The signed part of a head: what the vault signs once per version (docs/format.md §Head). */
export function headSignedPart(fields: HeadFields): Uint8Array {
  return encodeRecordBody(HEAD, _fields(fields))
}

/** Sign a head. The coordinator does this once per version: the same signature ends its manifest. */
export function signHead(fields: HeadFields, vaultSecretKey: Uint8Array, random?: RandomBytes): Head {
  assertBytes(fields.vaultId, 'vaultId', 32)
  const { bytes } = encodeVaultSigned(HEAD, _fields(fields), vaultSecretKey, random)
  return { ..._fields(fields), bytes }
}

/** Rebuild a head from its fields and the signature a manifest ends with (no key needed). */
export function headFromSignature(fields: HeadFields, signature: Uint8Array): Head {
  return { ..._fields(fields), bytes: concatBytes(headSignedPart(fields), signature) }
}

/** Decode a head and verify it against the vault key it names. */
export function openHead(bytes: Uint8Array): Head {
  return { ...decodeVaultSigned(HEAD, bytes).fields, bytes }
}

/** Check equivocation evidence: two vault-signed heads of one version naming different manifests. */
export function checkEvidence(
  held: Uint8Array,
  offered: Uint8Array,
): { vaultId: Uint8Array; version: number } {
  const a = openHead(held)
  const b = openHead(offered)
  if (
    !equalBytes(a.vaultId, b.vaultId) ||
    a.version !== b.version ||
    equalBytes(a.manifestHash, b.manifestHash)
  ) {
    throw new EquivocationEvidenceError()
  }
  return { vaultId: a.vaultId, version: a.version }
}
