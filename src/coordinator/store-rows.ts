/** The rows of the coordinator's database as the rest of kith reads them, and their raw SQLite forms. */
import type { SourceKind } from '../replica/manifest-body.js'

export interface VaultSettings {
  readonly vaultId: Uint8Array
  readonly name: string
  readonly k: number
  readonly w: number
  readonly epoch: number
}

export interface GuardianRow {
  readonly peerId: Uint8Array
  readonly addrs: string[]
  readonly label: string
  readonly quota: number
  /** Named in the current roster (false: invited, waiting for the vault to reach k guardians). */
  readonly member: boolean
  /** Until enrolled: the invite to present (a secret). */
  readonly invite: string | null
  readonly inviteExpires: number | null
  /** Until delivered: this guardian's share envelope of the current epoch (a secret). */
  readonly share: Uint8Array | null
  /** The newest roster epoch this guardian acknowledged. */
  readonly deliveredEpoch: number | null
  readonly lastContact: number | null
  /** Since when it has not answered (null: it answered last time, or was never asked). */
  readonly unreachableSince: number | null
  /** How it was last reached: directly, or through a relay. */
  readonly path: 'direct' | 'relayed' | null
}

/** A data key sealed with the key-encryption key of the key file. */
export interface SealedDataKey {
  readonly nonce: Uint8Array
  readonly sealed: Uint8Array
}

export interface SourceRow {
  readonly name: string
  readonly kind: SourceKind
  readonly path: string
}

export interface VersionRow {
  readonly version: number
  readonly epoch: number
  readonly hash: Uint8Array
  readonly manifest: Uint8Array
  readonly createdAt: number
  readonly committedAt: number | null
}

export interface RawGuardian {
  peer_id: Buffer
  addrs: string
  label: string
  quota: number
  member: number
  invite: string | null
  invite_expires: number | null
  share: Buffer | null
  delivered_epoch: number | null
  last_contact: number | null
  unreachable_since: number | null
  path: 'direct' | 'relayed' | null
}

export const toGuardian = (r: RawGuardian): GuardianRow => ({
  peerId: r.peer_id,
  addrs: JSON.parse(r.addrs) as string[],
  label: r.label,
  quota: r.quota,
  member: r.member === 1,
  invite: r.invite,
  inviteExpires: r.invite_expires,
  share: r.share,
  deliveredEpoch: r.delivered_epoch,
  lastContact: r.last_contact,
  unreachableSince: r.unreachable_since,
  path: r.path,
})

export interface RawVersion {
  version: number
  epoch: number
  hash: Buffer
  manifest: Buffer
  created_at: number
  committed_at: number | null
}

export const toVersion = (r: RawVersion): VersionRow => ({
  version: r.version,
  epoch: r.epoch,
  hash: r.hash,
  manifest: r.manifest,
  createdAt: r.created_at,
  committedAt: r.committed_at,
})
