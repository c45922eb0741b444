/**
 * The invite token a guardian gives its friend (docs/format.md §Invite): how to reach the guardian
 * and a one-time secret that binds one vault to it. Text form "kinvite1…". The secret is a bearer
 * credential: it is never logged, and the guardian stores only its hash.
 */
import { randomBytes } from 'node:crypto'
import { decodeRecord, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { sha256 } from '../crypto/hash.js'
import { decodeText, encodeText } from '../crypto/text.js'

const schema = defineSchema('invite', [
  { tag: 1, name: 'peer_id', type: 'varbytes', max: 128 },
  { tag: 2, name: 'addrs', type: 'utf8list', max: 256, maxItems: 8 },
  { tag: 3, name: 'secret', type: 'bytes', length: 32 },
  { tag: 4, name: 'quota', type: 'u64' },
  { tag: 5, name: 'expires_at', type: 'u64' },
  { tag: 6, name: 'label', type: 'utf8', max: 64 },
])

/** Record kind 7 (docs/format.md §Kinds). */
export const INVITE = defineRecord({ schema, kind: 7, version: 1, maxBytes: 2400, signed: false })

export interface Invite {
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
  /** One-time bearer secret: never log it. */
  readonly secret: Uint8Array
  /** Bytes this guardian will keep for the vault. */
  readonly quota: number
  readonly expiresAt: number
  /** The guardian's own name for itself, shown to the operator. */
  readonly label: string
}

export function newInviteSecret(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** What the guardian stores instead of the secret. */
export function inviteSecretHash(secret: Uint8Array): Uint8Array {
  return sha256(new TextEncoder().encode('kith/invite/v1'), secret)
}

export function inviteToText(invite: Invite): string {
  return encodeText(
    'invite',
    encodeRecordBody(INVITE, {
      peer_id: invite.peerId,
      addrs: invite.addrs,
      secret: invite.secret,
      quota: invite.quota,
      expires_at: invite.expiresAt,
      label: invite.label,
    }),
  )
}

export function inviteFromText(text: string): Invite {
  const f = decodeRecord(INVITE, decodeText('invite', text)).fields
  return {
    peerId: f['peer_id'] as Uint8Array,
    addrs: f['addrs'] as readonly string[],
    secret: f['secret'] as Uint8Array,
    quota: f['quota'] as number,
    expiresAt: f['expires_at'] as number,
    label: f['label'] as string,
  }
}
