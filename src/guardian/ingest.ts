/**
 * Verified ingest: the checks a guardian runs before anything from a peer touches its store. They only
 * check; storing is the caller's next, separate step. Rosters and shares must be signed by the vault
 * and name this guardian; manifests must be signed, of the current epoch, strictly newer than anything
 * held and successors of the parent held (the rule of replica/manifest.ts). A second manifest for a
 * held version throws EquivocationError carrying the evidence, for the caller to keep.
 */

import type { PeerId } from '@libp2p/interface'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { samePeer } from '../p2p/peers.js'
import { WrongVaultError } from '../replica/errors.js'
import type { Head } from '../replica/head.js'
import { headOfManifest, type Manifest, verifySuccessor } from '../replica/manifest.js'
import { openRoster, type Roster, shareCount } from '../replica/roster.js'
import { openShareEnvelope } from '../shares/share-envelope.js'
import {
  EquivocationError,
  QuotaExceededError,
  RollbackError,
  RosterMismatchError,
  StaleEpochError,
} from './errors.js'
import type { GuardianStore, VaultRow } from './store/index.js'

/** Check a share envelope against the roster it must belong to. */
function _checkShare(roster: Roster, shareBytes: Uint8Array): void {
  const share = openShareEnvelope(shareBytes)
  if (!equalBytes(share.vaultId, roster.vaultId)) throw new WrongVaultError('share envelope')
  if (share.epoch !== roster.epoch || share.k !== roster.k || share.n !== shareCount(roster)) {
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
 * Check a roster update (opened: signature verified) for a vault kept here: a strictly higher epoch (the
 * same roster again is a no-op), presented by the coordinator it names. If it still names this guardian,
 * a share for it must come along; if not, the guardian was removed.
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

export interface CheckedOffer {
  readonly manifest: Manifest
  readonly head: Head
  /** Chunk ids (hex) this guardian lacks, with their stored sizes from the signed header. */
  readonly need: ReadonlyMap<string, number>
  /** True if this exact version is already held (a duplicate push). */
  readonly duplicate: boolean
}

/**
 * Check a manifest (opened: signature verified) offered for a vault this guardian keeps. Throws on
 * rollback, equivocation (with its evidence), stale epoch, broken chain, quota. Writes nothing.
 */
export function checkOffer(store: GuardianStore, vault: VaultRow, manifest: Manifest): CheckedOffer {
  if (!equalBytes(manifest.vaultId, vault.vaultId)) throw new WrongVaultError('manifest')
  const head = headOfManifest(manifest)
  if (manifest.epoch < vault.epoch) throw new StaleEpochError(vault.epoch, manifest.epoch)
  if (manifest.epoch > vault.epoch) throw new RosterMismatchError(`no roster for epoch ${manifest.epoch} yet`)
  const held = store.versions.link(vault.vaultId, manifest.version)
  if (held !== undefined) {
    if (equalBytes(held.hash, manifest.hash)) return { manifest, head, need: new Map(), duplicate: true }
    throw new EquivocationError({
      vaultId: vault.vaultId,
      version: manifest.version,
      heldHead: store.versions.headOf(vault.vaultId, manifest.version)!,
      offeredHead: head.bytes,
      manifests: { held: store.versions.manifest(vault.vaultId, manifest.version)!, offered: manifest.bytes },
    })
  }
  if (manifest.version <= vault.headVersion) throw new RollbackError(vault.headVersion, manifest.version)
  // a guardian that missed versions may take a later one; when it holds the parent, the chain must hold
  const parent = store.versions.link(vault.vaultId, manifest.version - 1)
  if (parent !== undefined) verifySuccessor({ vaultId: vault.vaultId, ...parent }, manifest)
  const need = new Map<string, number>()
  let bytes = manifest.bytes.length
  for (const c of manifest.chunks) {
    if (store.versions.hasChunk(vault.vaultId, c.id)) continue
    need.set(toHex(c.id), c.size)
    bytes += c.size
  }
  // the vault's bytes count its journals too: one quota for all it stores here (guardian/quota.ts);
  // checked again when the version is committed, since entries may take the room meanwhile
  if (vault.bytesStored + bytes > vault.quota)
    throw new QuotaExceededError(vault.quota, vault.bytesStored + bytes)
  return { manifest, head, need, duplicate: false }
}
