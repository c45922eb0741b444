/**
 * Verified ingest: the checks a guardian runs before anything from a peer touches its store.
 * Rosters and shares must be signed by the vault and name this guardian; manifests must be signed,
 * of the current epoch, strictly newer than anything held and chained to their parent; a second
 * manifest for a held version is kept as equivocation evidence. Nothing here trusts the caller.
 */

import type { PeerId } from '@libp2p/interface'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { UnauthorizedPeerError } from '../p2p/errors.js'
import { samePeer } from '../p2p/peers.js'
import { VersionChainError, WrongVaultError } from '../replica/errors.js'
import type { Head } from '../replica/head.js'
import { headOfManifest, type Manifest } from '../replica/manifest.js'
import { openRoster, type Roster } from '../replica/roster.js'
import { openShareEnvelope } from '../shares/envelope.js'
import {
  EquivocationError,
  QuotaExceededError,
  RollbackError,
  RosterMismatchError,
  StaleEpochError,
} from './errors.js'
import type { GuardianStore, VaultRow } from './store.js'

/** Check a share envelope against the roster it must belong to. */
function _checkShare(roster: Roster, shareBytes: Uint8Array): void {
  const share = openShareEnvelope(shareBytes)
  if (!equalBytes(share.vaultId, roster.vaultId)) throw new WrongVaultError('share envelope')
  if (share.epoch !== roster.epoch || share.k !== roster.k || share.n !== roster.guardians.length) {
    throw new RosterMismatchError('the share is not for this roster')
  }
  if (!equalBytes(share.commitment, roster.commitment))
    throw new RosterMismatchError('the share commits to another key')
}

/** The roster must name the peer presenting it as the vault's coordinator. */
function _checkPresenter(roster: Roster, presenter: PeerId): void {
  if (roster.coordinator === undefined || !samePeer(presenter, roster.coordinator)) {
    throw new RosterMismatchError('it does not name the peer presenting it as coordinator')
  }
}

/** Check an enrollment's roster and share against this guardian and the coordinator presenting them. */
export function checkEnrollment(
  self: PeerId,
  coordinator: PeerId,
  rosterBytes: Uint8Array,
  shareBytes: Uint8Array,
): { roster: Roster } {
  const roster = openRoster(rosterBytes)
  if (!roster.guardians.some((g) => samePeer(self, g.peerId)))
    throw new RosterMismatchError('it does not name this guardian')
  _checkPresenter(roster, coordinator)
  _checkShare(roster, shareBytes)
  return { roster }
}

/**
 * Check a roster update (opened: signature verified) for a vault kept here: signed by the vault, a strictly higher epoch (the same
 * roster again is a no-op), presented by the coordinator it names. If it still names this guardian, a
 * share for it must come along; if not, the guardian was removed.
 */
export function checkRosterUpdate(
  self: PeerId,
  presenter: PeerId,
  vault: VaultRow,
  roster: Roster,
  shareBytes: Uint8Array | undefined,
): { removed: boolean; unchanged: boolean } {
  if (!equalBytes(roster.vaultId, vault.vaultId)) throw new WrongVaultError('roster')
  _checkPresenter(roster, presenter)
  if (roster.epoch === vault.epoch && equalBytes(roster.bytes, vault.roster)) {
    return { removed: false, unchanged: true }
  }
  if (roster.epoch <= vault.epoch) throw new StaleEpochError(vault.epoch, roster.epoch)
  const removed = !roster.guardians.some((g) => samePeer(self, g.peerId))
  if (!removed) {
    if (shareBytes === undefined)
      throw new RosterMismatchError('no share for this guardian came with the roster')
    _checkShare(roster, shareBytes)
  }
  return { removed, unchanged: false }
}

/** Who may use a vault's protocols: its coordinator and the guardians its roster names. */
export function authorize(roster: Roster, peer: PeerId, allow: 'coordinator' | 'members'): Roster {
  const isCoordinator = roster.coordinator !== undefined && samePeer(peer, roster.coordinator)
  const isGuardian = roster.guardians.some((g) => samePeer(peer, g.peerId))
  if (isCoordinator || (allow === 'members' && isGuardian)) return roster
  throw new UnauthorizedPeerError(peer.toString())
}

export interface CheckedOffer {
  readonly manifest: Manifest
  readonly head: Head
  /** Chunk ids (hex) this guardian lacks, with their stored sizes from the signed header. */
  readonly need: Map<string, number>
  /** True if this exact version is already held (a duplicate push). */
  readonly duplicate: boolean
}

/**
 * Check a manifest (opened: signature verified) offered for a vault this guardian keeps.
 * Throws on rollback, equivocation (after recording the evidence), stale epoch, broken chain, quota.
 */
export function checkOffer(
  store: GuardianStore,
  vault: VaultRow,
  manifest: Manifest,
  now: number,
): CheckedOffer {
  if (!equalBytes(manifest.vaultId, vault.vaultId)) throw new WrongVaultError('manifest')
  const head = headOfManifest(manifest)
  if (manifest.epoch < vault.epoch) throw new StaleEpochError(vault.epoch, manifest.epoch)
  if (manifest.epoch > vault.epoch) throw new RosterMismatchError(`no roster for epoch ${manifest.epoch} yet`)
  const held = store.manifestHash(vault.vaultId, manifest.version)
  if (held !== undefined) {
    if (equalBytes(held, manifest.hash)) return { manifest, head, need: new Map(), duplicate: true }
    const heldHead = store.headOf(vault.vaultId, manifest.version)!
    store.recordEquivocation(
      { vaultId: vault.vaultId, version: manifest.version, heldHead, offeredHead: head.bytes },
      { held: store.manifest(vault.vaultId, manifest.version)!, offered: manifest.bytes },
      now,
    )
    throw new EquivocationError(manifest.version, { held: heldHead, offered: head.bytes })
  }
  if (manifest.version <= vault.headVersion) throw new RollbackError(vault.headVersion, manifest.version)
  const parent = store.manifestHash(vault.vaultId, manifest.version - 1)
  if (parent !== undefined && !equalBytes(parent, manifest.parent)) {
    throw new VersionChainError('parent', toHex(parent).slice(0, 16), toHex(manifest.parent).slice(0, 16))
  }
  const need = new Map<string, number>()
  let bytes = manifest.bytes.length
  for (const c of manifest.chunks) {
    if (store.hasChunk(vault.vaultId, c.id)) continue
    need.set(toHex(c.id), c.size)
    bytes += c.size
  }
  if (vault.bytesStored + bytes > vault.quota)
    throw new QuotaExceededError(vault.quota, vault.bytesStored + bytes)
  return { manifest, head, need, duplicate: false }
}
