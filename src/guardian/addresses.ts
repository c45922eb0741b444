/**
 * Where a vault's guardians are now, as this guardian knows it: its own address record, sealed now, and
 * the newest signed records its fellow guardians gave it (libp2p's identify exchanges them on every
 * connection, newest by sequence number). Served to the vault's members, and to a recoverer once this
 * guardian's human approved: a recoverer with an old kit then finds guardians that moved.
 */
import { peerIdFromBytes, samePeer } from '../p2p/peers.js'
import type { GuardianContext } from './context.js'
import type { VaultRow } from './store/index.js'

export async function addressRecords(ctx: GuardianContext, vault: VaultRow): Promise<Uint8Array[]> {
  const out = [await ctx.ownAddressRecord()]
  for (const g of ctx.roster(vault).guardians) {
    if (samePeer(ctx.node.peerId, g.peerId)) continue
    const peer = await ctx.node.peerStore.get(peerIdFromBytes(g.peerId)).catch(() => undefined)
    if (peer?.peerRecordEnvelope !== undefined) out.push(peer.peerRecordEnvelope)
  }
  return out
}
