/**
 * The vault's own state, carried encrypted in the body of every version (docs/format.md §Vault state),
 * so a recovered coordinator can resume as the same vault: its signing key and its settings.
 */
import { decodeRecord, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'

const schema = defineSchema('vault state', [
  { tag: 1, name: 'vault_key', type: 'bytes', length: 32 },
  { tag: 2, name: 'name', type: 'utf8', max: 128 },
  { tag: 3, name: 'k', type: 'u8', min: 2 },
  { tag: 4, name: 'w', type: 'u8', min: 1 },
])

/** Record kind 10. */
export const VAULT_STATE = defineRecord({ schema, kind: 10, version: 1, maxBytes: 1024, signed: false })

export interface VaultState {
  readonly vaultKey: Uint8Array
  readonly name: string
  readonly k: number
  readonly w: number
}

export function encodeVaultState(s: VaultState): Uint8Array {
  return encodeRecordBody(VAULT_STATE, { vault_key: s.vaultKey, name: s.name, k: s.k, w: s.w })
}

export function decodeVaultState(bytes: Uint8Array): VaultState {
  const f = decodeRecord(VAULT_STATE, bytes).fields
  return {
    vaultKey: f['vault_key'] as Uint8Array,
    name: f['name'] as string,
    k: f['k'] as number,
    w: f['w'] as number,
  }
}
