/**
 * The roster (docs/format.md §Roster): who guards a vault in an epoch, the threshold k, the write
 * quorum W and the key commitment, signed by the vault key. A higher epoch replaces a lower one.
 */

import { MalformedRecordError } from '../codec/errors.js'
import { decodeVaultSigned, defineRecord, encodeVaultSigned, RecordKind, recordId } from '../codec/record.js'
import { defineSchema, type Fields } from '../codec/tlv.js'
import { assertBytes } from '../crypto/assert.js'
import type { RandomBytes } from '../crypto/random.js'

const guardianSchema = defineSchema('roster guardian', [
  { tag: 1, name: 'peer_id', type: 'varbytes', max: 128 },
  { tag: 2, name: 'addrs', type: 'utf8list', max: 256, maxItems: 16 },
  { tag: 3, name: 'label', type: 'utf8', max: 64 },
])

const schema = defineSchema('roster', [
  { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
  { tag: 2, name: 'epoch', type: 'u64' },
  { tag: 3, name: 'k', type: 'u8', min: 2 },
  { tag: 4, name: 'w', type: 'u8', min: 1 },
  { tag: 5, name: 'commitment', type: 'bytes', length: 32 },
  { tag: 6, name: 'coordinator', type: 'varbytes', max: 128, optional: true },
  { tag: 7, name: 'guardians', type: 'list', item: guardianSchema, maxItems: 255, maxItemBytes: 4800 },
  { tag: 8, name: 'created_at', type: 'u64' },
])

export const ROSTER = defineRecord({
  schema,
  kind: RecordKind.roster,
  version: 1,
  maxBytes: 1_300_000,
  signed: true,
  tag: 'roster',
})

export interface RosterGuardian {
  /** libp2p peer ID bytes. */
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
  readonly label: string
}

export interface RosterFields {
  readonly vaultId: Uint8Array
  readonly epoch: number
  readonly k: number
  readonly w: number
  readonly commitment: Uint8Array
  readonly coordinator?: Uint8Array
  readonly guardians: readonly RosterGuardian[]
  readonly createdAt: number
}

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
  const { bytes, signedBytes } = encodeVaultSigned(
    ROSTER,
    {
      vault_id: fields.vaultId,
      epoch: fields.epoch,
      k: fields.k,
      w: fields.w,
      commitment: fields.commitment,
      coordinator: fields.coordinator,
      guardians: fields.guardians.map((g) => ({ peer_id: g.peerId, addrs: g.addrs, label: g.label })),
      created_at: fields.createdAt,
    },
    vaultSecretKey,
    random,
  )
  return { ...fields, bytes, id: recordId(signedBytes) }
}

/** Decode and verify a roster against the vault key it names. */
export function openRoster(bytes: Uint8Array): Roster {
  const { fields: f, signedBytes, vaultId } = decodeVaultSigned(ROSTER, bytes)
  const roster: Roster = {
    vaultId,
    epoch: f['epoch'] as number,
    k: f['k'] as number,
    w: f['w'] as number,
    commitment: f['commitment'] as Uint8Array,
    ...(f['coordinator'] !== undefined ? { coordinator: f['coordinator'] as Uint8Array } : {}),
    guardians: (f['guardians'] as readonly Fields[]).map((g) => ({
      peerId: g['peer_id'] as Uint8Array,
      addrs: g['addrs'] as readonly string[],
      label: g['label'] as string,
    })),
    createdAt: f['created_at'] as number,
    bytes,
    id: recordId(signedBytes),
  }
  _checkShape(roster)
  return roster
}
