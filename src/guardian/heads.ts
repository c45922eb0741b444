/**
 * What a guardian knows of a vault's newest version beyond what it holds: the newest valid signed head
 * it has seen (from a push, gossip or a fellow guardian, even without its data) and the newest commit
 * certificate. A recoverer asks for both, so one guardian that hides or rolls back a version cannot make
 * a restore stale. Both are verified before they are kept.
 */

import { guardianKeys } from '../p2p/peers.js'
import { openCertificate } from '../replica/certificate.js'
import type { Head } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { headOffChain } from './choice.js'
import type { GuardianContext } from './context.js'
import type { VaultRow } from './store/index.js'

/** Remember a verified head of this vault if it is the newest seen. */
export function noteHead(ctx: GuardianContext, vault: VaultRow, head: Head): void {
  // a head of the chain the owner set aside (§Chain choice) tells nothing about the vault any more
  if (headOffChain(vault, head)) return
  ctx.db.vaults.noteSeen(vault.vaultId, head.version, head.bytes)
}

/** Keep a certificate that proves a commit under this guardian's roster, if it is the newest. */
export function acceptCertificate(ctx: GuardianContext, vault: VaultRow, bytes: Uint8Array): void {
  const roster = ctx.roster(vault)
  const proof = openCertificate(bytes, {
    vaultId: vault.vaultId,
    w: roster.w,
    keys: guardianKeys(roster.guardians),
  })
  ctx.db.vaults.noteCertificate(vault.vaultId, proof.head.version, bytes)
  noteHead(ctx, vault, proof.head)
  coverJournals(ctx, vault.vaultId, proof.head.version)
}

/**
 * A committed version whose manifest this guardian holds covers its journals up to its marks: the
 * entries before them are dropped (compaction), the newest one kept.
 */
export function coverJournals(ctx: GuardianContext, vaultId: Uint8Array, version: number): void {
  const bytes = ctx.db.versions.manifest(vaultId, version)
  if (bytes === undefined) return
  for (const m of openManifest(bytes).marks ?? [])
    ctx.db.journals.cover(vaultId, m.journal, m.position, m.hash, ctx.now())
}
