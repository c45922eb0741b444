/**
 * The roster (docs/format.md §Roster): who guards a vault in an epoch, the threshold k, the write
 * quorum W and the key commitment, signed by the vault key. A higher epoch replaces a lower one.
 */

import { MalformedRecordError } from '../codec/errors.js'
import { decodeVaultSigned, defineRecord, encodeVaultSigned, recordId } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { assertBytes } from '../crypto/assert.js'
import type { RandomBytes } from '../crypto/random.js'

const guardianSchema = defineSchema('roster guardian', {
  /** libp2p peer ID bytes. */
  peerId: field.varbytes(1, 128),
  addrs: field.utf8list(2, 256, 16),
  label: field.utf8(3, 64),
})

const schema = defineSchema('roster', {
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2),
  k: field.u8(3, { min: 2 }),
  w: field.u8(4, { min: 1 }),
  commitment: field.bytes(5, 32),
  coordinator: field.optional(field.varbytes(6, 128)),
  guardians: field.list(7, guardianSchema, 255, 4800),
  createdAt: field.u64(8),
  /** Shares of the split held outside the guardians: the owner's paper share (0 or 1; absent: 0). */
  paper: field.optional(field.u8(9, { max: 1 })),
})

export const ROSTER = defineRecord({
  kind: 'roster',
  schema,
  version: 1,
  maxBytes: 1_300_000,
  signed: true,
  tag: 'roster',
})

export type RosterGuardian = Values<typeof guardianSchema.fields>
export type RosterFields = Values<typeof schema.fields>

export interface Roster extends RosterFields {
  readonly bytes: Uint8Array
  /** SHA-256 of the signed part. */
  readonly id: Uint8Array
}

function _checkShape(r: RosterFields): void {
  const n = r.guardians.length
  // k <= n and W <= n, or the vault could never be recovered / never commit
  if (r.k > n) throw new MalformedRecordError('roster', 'value', 'k')
  if (r.w > n) throw new MalformedRecordError('roster', 'value', 'w')
  const ids = new Set(r.guardians.map((g) => Buffer.from(g.peerId).toString('hex')))
  if (ids.size !== n) throw new MalformedRecordError('roster', 'value', 'guardians')
}

export function signRoster(fields: RosterFields, vaultSecretKey: Uint8Array, random?: RandomBytes): Roster {
  assertBytes(fields.vaultId, 'vaultId', 32)
  _checkShape(fields)
  const values: RosterFields = {
    vaultId: fields.vaultId,
    epoch: fields.epoch,
    k: fields.k,
    w: fields.w,
    commitment: fields.commitment,
    ...(fields.coordinator !== undefined ? { coordinator: fields.coordinator } : {}),
    guardians: fields.guardians.map((g) => ({ peerId: g.peerId, addrs: g.addrs, label: g.label })),
    createdAt: fields.createdAt,
    ...(fields.paper ? { paper: fields.paper } : {}),
  }
  const { bytes, signedBytes } = encodeVaultSigned(ROSTER, values, vaultSecretKey, random)
  return { ...values, bytes, id: recordId(signedBytes) }
}

/** How many shares the roster's split has: one per guardian, and the owner's paper share if it has one. */
export function shareCount(r: Pick<RosterFields, 'guardians' | 'paper'>): number {
  return r.guardians.length + (r.paper ?? 0)
}

/** Decode and verify a roster against the vault key it names. */
export function openRoster(bytes: Uint8Array): Roster {
  const { fields, signedBytes } = decodeVaultSigned(ROSTER, bytes)
  _checkShape(fields)
  return { ...fields, bytes, id: recordId(signedBytes) }
}
