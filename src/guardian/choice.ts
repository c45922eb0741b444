/**
 * The owner's chain choice at a guardian (docs/format.md §Chain choice). It comes with a roster update
 * (the new epoch it opens) from the vault's coordinator. The first one, and every later one of a higher
 * epoch, is applied at once: the versions of older epochs off the chosen chain are set aside (signed
 * heads and manifests kept as evidence, chunks freed), the head falls back to the newest version kept,
 * a seen head or certificate off the chain is forgotten and the equivocation flag is lowered. From then
 * on heads off the chain are neither noted nor taken as forks: the other coordinator's chain is over.
 */
import { equalBytes, toHex } from '../crypto/bytes.js'
import { sha256 } from '../crypto/hash.js'
import { guardianKeys } from '../p2p/peers.js'
import { openCertificate } from '../replica/certificate.js'
import { type ChainChoice, offChain, openChainChoice } from '../replica/choice.js'
import { type Head, openHead } from '../replica/head.js'
import type { Roster } from '../replica/roster.js'
import { type GuardianContext, vaultName } from './context.js'
import { RosterMismatchError } from './errors.js'
import type { Equivocation, VaultRow } from './store/index.js'

/** Choices opened (signature verified) by their bytes' hash: heads are checked against one at every push
 * and gossip, and a BIP340 verification each time would cost more than the rest of the check. */
const opened = new Map<string, ChainChoice>()

/** The vault's adopted choice, if any. */
export function choiceOf(vault: VaultRow): ChainChoice | undefined {
  if (vault.choice === null) return undefined
  const key = toHex(sha256(vault.choice))
  let c = opened.get(key)
  if (c === undefined) {
    c = openChainChoice(vault.choice)
    // a guardian keeps one choice per vault: the map holds what its vaults hold now, and a few old ones
    if (opened.size > 1024) opened.clear()
    opened.set(key, c)
  }
  return c
}

/** Whether a signed head is off the owner's chosen chain (always false before any choice). */
export function headOffChain(vault: VaultRow, head: Head): boolean {
  const c = choiceOf(vault)
  return c !== undefined && offChain(c, { epoch: head.epoch, version: head.version, hash: head.manifestHash })
}

/** Whether equivocation evidence is settled by the owner's choice (one of its heads is off the chain). */
export function settledByChoice(vault: VaultRow, e: Pick<Equivocation, 'heldHead' | 'offeredHead'>): boolean {
  return headOffChain(vault, openHead(e.heldHead)) || headOffChain(vault, openHead(e.offeredHead))
}

/**
 * Check and apply a chain choice that came with `roster` (already adopted here). A choice of an epoch
 * already applied is a no-op; one for another vault or a later epoch than the roster is refused.
 * Returns the versions set aside.
 */
export function applyChoice(
  ctx: GuardianContext,
  vault: VaultRow,
  roster: Roster,
  bytes: Uint8Array,
): { applied: boolean; setAside: number[] } {
  const choice = openChainChoice(bytes)
  if (!equalBytes(choice.vaultId, vault.vaultId))
    throw new RosterMismatchError('the chain choice is for another vault')
  if (choice.epoch > roster.epoch)
    throw new RosterMismatchError(
      `the chain choice is for epoch ${choice.epoch}, the roster's is ${roster.epoch}`,
    )
  if (choice.epoch <= vault.choiceEpoch) return { applied: false, setAside: [] }
  const now = ctx.now()
  const aside = ctx.db.versions
    .links(vault.vaultId)
    .filter((l) => offChain(choice, l))
    .map((l) => l.version)
  const isOff = (head: Uint8Array | null) => {
    if (head === null) return false
    const h = openHead(head)
    return offChain(choice, { epoch: h.epoch, version: h.version, hash: h.manifestHash })
  }
  let certOff = false
  if (vault.certificate !== null) {
    try {
      const proof = openCertificate(vault.certificate, {
        vaultId: vault.vaultId,
        w: roster.w,
        keys: guardianKeys(roster.guardians),
      })
      certOff = offChain(choice, {
        epoch: proof.head.epoch,
        version: proof.head.version,
        hash: proof.head.manifestHash,
      })
    } catch {
      // a certificate the new roster cannot check proves nothing any more
      certOff = true
    }
  }
  ctx.db.atomically(() => {
    ctx.db.versions.setAside(vault.vaultId, aside, now)
    const kept = ctx.db.versions.links(vault.vaultId).at(-1)
    ctx.db.vaults.adoptChoice(
      vault.vaultId,
      {
        choice: bytes,
        epoch: choice.epoch,
        head:
          kept === undefined
            ? undefined
            : {
                version: kept.version,
                hash: kept.hash,
                head: ctx.db.versions.headOf(vault.vaultId, kept.version)!,
              },
        forgetSeen: isOff(vault.seenHead),
        forgetCertificate: certOff,
      },
      now,
    )
  })
  if (aside.length > 0 || vault.equivocation) {
    ctx.notify(
      'chain-chosen',
      `"${vault.label}" chose its copy`,
      `Your friend's node "${vault.label}" had two copies running. Your friend chose which one is theirs; your guardian set the other copy's ${aside.length} version(s) aside and kept the proof. Nothing for you to do.`,
      { vault: vault.label, epoch: choice.epoch, setAside: aside.length },
    )
    ctx.say(
      `vault ${vaultName(ctx, vault.vaultId)}: the owner chose its chain at version ${choice.version}; ${aside.length} version(s) set aside, evidence kept`,
    )
  }
  return { applied: true, setAside: aside }
}
