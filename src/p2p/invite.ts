/**
 * The invite token a guardian gives its friend (docs/format.md §Invite): how to reach the guardian
 * and a one-time secret that binds one vault to it. Text form "kinvite1…". The secret is a bearer
 * credential: it is never logged, and the guardian stores only its hash.
 */

import { decodeUnsigned, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { sha256 } from '../crypto/hash.js'
import { systemRandom } from '../crypto/random.js'
import { decodeText, encodeText } from '../crypto/text.js'
import { checkLabel } from '../text.js'

const schema = defineSchema('invite', {
  peerId: field.varbytes(1, 128),
  addrs: field.utf8list(2, 256, 8),
  /** One-time bearer secret: never log it. */
  secret: field.bytes(3, 32),
  /** Bytes this guardian will keep for the vault. */
  quota: field.u64(4),
  expiresAt: field.u64(5),
  /** The guardian's own name for itself, shown to the operator. */
  label: field.utf8(6, 64),
})

export const INVITE = defineRecord({ kind: 'invite', schema, version: 1, maxBytes: 2400, signed: false })

export type Invite = Values<typeof schema.fields>

export function newInviteSecret(): Uint8Array {
  return systemRandom(32)
}

/** What the guardian stores instead of the secret. */
export function inviteSecretHash(secret: Uint8Array): Uint8Array {
  return sha256(new TextEncoder().encode('kith/invite/v1'), secret)
}

export function inviteToText(invite: Invite): string {
  return encodeText('invite', encodeRecordBody(INVITE, invite))
}

export function inviteFromText(text: string): Invite {
  const invite = decodeUnsigned(INVITE, decodeText('invite', text))
  // the friend wrote these: printable one-line text, or the invite is refused before anything is stored
  checkLabel(invite.label, "guardian's name in the invite")
  for (const a of invite.addrs) checkLabel(a, 'address in the invite', 256)
  return invite
}
