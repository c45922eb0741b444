/**
 * The chain choice (docs/format.md §Chain choice): after two coordinators ran with one vault key (a
 * copied disk, an old image started beside the real node), guardians can hold two chains that share a
 * beginning. The owner's coordinator signs which one is the vault's: the hashes of its own versions
 * `first`..`version`, taking effect in `epoch` (the new roster it travels with). A guardian sets aside
 * every version of an older epoch that is not on it (guardian/choice.ts), keeping their signed heads and
 * manifests as evidence.
 */
import { MalformedRecordError } from '../codec/errors.js'
import { decodeVaultSigned, defineRecord, encodeVaultSigned } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { equalBytes } from '../crypto/bytes.js'
import type { RandomBytes } from '../crypto/random.js'

/** Most versions a choice lists (a fork older than this many versions is beyond one choice). */
export const CHOICE_MAX_VERSIONS = 1024
const HASH = 32

const schema = defineSchema('chain choice', {
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2, { min: 1 }),
  first: field.u64(3, { min: 1 }),
  version: field.u64(4, { min: 1 }),
  /** The manifest hashes of versions first..version, 32 bytes each, in order. */
  hashes: field.varbytes(5, CHOICE_MAX_VERSIONS * HASH),
  createdAt: field.u64(6),
})

export const CHAIN_CHOICE = defineRecord({
  kind: 'chainChoice',
  schema,
  version: 1,
  maxBytes: CHOICE_MAX_VERSIONS * HASH + 256,
  signed: true,
  tag: 'chain',
})

export type ChainChoiceFields = Values<typeof schema.fields>
export interface ChainChoice extends ChainChoiceFields {
  readonly bytes: Uint8Array
}

function _checkShape(f: ChainChoiceFields): void {
  const count = f.version - f.first + 1
  if (count < 1 || count > CHOICE_MAX_VERSIONS)
    throw new MalformedRecordError('chain choice', 'value', 'first')
  if (f.hashes.length !== count * HASH) throw new MalformedRecordError('chain choice', 'value', 'hashes')
}

export function signChainChoice(
  f: ChainChoiceFields,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): ChainChoice {
  _checkShape(f)
  const values: ChainChoiceFields = {
    vaultId: f.vaultId,
    epoch: f.epoch,
    first: f.first,
    version: f.version,
    hashes: f.hashes,
    createdAt: f.createdAt,
  }
  return { ...values, bytes: encodeVaultSigned(CHAIN_CHOICE, values, vaultSecretKey, random).bytes }
}

/** Decode a chain choice and verify the vault's signature on it. */
export function openChainChoice(bytes: Uint8Array): ChainChoice {
  const fields = decodeVaultSigned(CHAIN_CHOICE, bytes).fields
  _checkShape(fields)
  return { ...fields, bytes }
}

/** The chosen manifest hash of a version, if the choice lists it. */
export function chosenHash(c: ChainChoiceFields, version: number): Uint8Array | undefined {
  if (version < c.first || version > c.version) return undefined
  const at = (version - c.first) * HASH
  return c.hashes.subarray(at, at + HASH)
}

/**
 * Whether a version of an older epoch than the choice is off the chosen chain: newer than the chosen
 * head, or listed with another hash. Versions of the choice's epoch or later come after it.
 */
export function offChain(
  c: ChainChoiceFields,
  v: { epoch: number; version: number; hash: Uint8Array },
): boolean {
  if (v.epoch >= c.epoch) return false
  if (v.version > c.version) return true
  const chosen = chosenHash(c, v.version)
  return chosen !== undefined && !equalBytes(chosen, v.hash)
}
