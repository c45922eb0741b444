/**
 * The vault's own state (docs/format.md §Vault state), carried encrypted in the body of every version,
 * so a recovered coordinator can resume as the same vault: its signing key and its settings, and the keys
 * of its journals.
 */
import { decodeUnsigned, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'

// the record name keeps the journal's historical name, stream
const JOURNAL_KEY = defineSchema('stream key', { name: field.utf8(1, 32), key: field.bytes(2, 32) })

const schema = defineSchema('vault state', {
  vaultKey: field.bytes(1, 32),
  name: field.utf8(2, 128),
  k: field.u8(3, { min: 2 }),
  w: field.u8(4, { min: 1 }),
  /** The keys of the vault's journals, so a recovery can read their entries. */
  journals: field.optional(field.list(5, JOURNAL_KEY, 8, 64)),
})

export const VAULT_STATE = defineRecord({
  kind: 'vaultState',
  schema,
  version: 1,
  maxBytes: 1024,
  signed: false,
})

export type VaultState = Values<typeof schema.fields>

export function encodeVaultState(s: VaultState): Uint8Array {
  return encodeRecordBody(VAULT_STATE, s)
}

export function decodeVaultState(bytes: Uint8Array): VaultState {
  return decodeUnsigned(VAULT_STATE, bytes)
}
