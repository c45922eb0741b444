/**
 * The recovery kit of this vault (docs/format.md §Recovery kit): what a new machine needs to find the
 * guardians, and nothing secret. Its text and HTML forms are the recoverer's (recovery/kit.ts).
 */
import { encodeText } from '../crypto/text.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import type { Kit, KitRelease } from '../recovery/kit.js'
import { releaseName, selfHash } from '../release/self.js'
import { nodeOf } from './status.js'
import type { Vault } from './vault.js'

export function buildKit(vault: Vault): Kit {
  const s = vault.db.settings()
  const members = vault.members()
  // the node id its sources were checked to make (coordinator/source-checks.ts)
  const node = nodeOf(vault).node
  return {
    version: 1,
    vault: encodeText('vault', s.vaultId),
    name: s.name,
    k: s.k,
    n: members.length,
    w: s.w,
    guardians: members.map((g) => ({
      label: g.label,
      peerId: peerIdFromBytes(g.peerId).toString(),
      addrs: g.addrs,
    })),
    ...(node !== undefined ? { node: node.id } : {}),
  }
}

/** The release executable this kith runs as, by name and hash, for the kit; undefined from source. */
export async function runningRelease(): Promise<KitRelease | undefined> {
  const name = releaseName()
  return name === undefined ? undefined : { name, sha256: await selfHash() }
}
