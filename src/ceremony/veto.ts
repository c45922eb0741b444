/**
 * The veto (docs/format.md §Veto, kind 11): the vault's live owner says "this recovery request is not
 * me", signed by the vault key. It stops the release of that one request at each guardian until the
 * guardian's human overrides it after talking to the owner: a stolen vault key can delay, never block.
 */
import { decodeVaultSigned, defineRecord, encodeVaultSigned } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import type { RandomBytes } from '../crypto/random.js'
import { REQUEST_ID_LENGTH } from './request.js'

const schema = defineSchema('veto', {
  vaultId: field.bytes(1, 32),
  requestId: field.bytes(2, REQUEST_ID_LENGTH),
  createdAt: field.u64(3),
})

export const VETO = defineRecord({
  kind: 'veto',
  schema,
  version: 1,
  maxBytes: 160,
  signed: true,
  tag: 'veto',
})

export type VetoFields = Values<typeof schema.fields>

export interface Veto extends VetoFields {
  readonly bytes: Uint8Array
}

export function signVeto(fields: VetoFields, vaultSecretKey: Uint8Array, random?: RandomBytes): Veto {
  const values: VetoFields = {
    vaultId: fields.vaultId,
    requestId: fields.requestId,
    createdAt: fields.createdAt,
  }
  const { bytes } = encodeVaultSigned(VETO, values, vaultSecretKey, random)
  return { ...values, bytes }
}

/** Decode a veto and verify its signature against the vault it names. */
export function openVeto(bytes: Uint8Array): Veto {
  return { ...decodeVaultSigned(VETO, bytes).fields, bytes }
}
