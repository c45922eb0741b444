/**
 * Where a vault's guardians are now, as this guardian knows it: its own address record, sealed now, and
 * the newest signed records its fellow guardians gave it (libp2p's identify exchanges them on every
 * connection, newest by sequence number). Served to the vault's members, and to a recoverer once this
 * guardian's human approved: a recoverer with an old kit then finds guardians that moved.
 */
import { peerIdFromBytes, samePeer } from '../p2p/peers.js'
import { GUARDIAN_ADVICE } from './advice.js'
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

/** A guardian's addresses sorted by how friends reach them: open on the internet, relayed, or any direct. */
export function addressKinds(addrs: readonly string[]): {
  open: string[]
  relayed: string[]
  direct: string[]
} {
  const relayed = addrs.filter((a) => a.includes('/p2p-circuit'))
  const direct = addrs.filter((a) => !a.includes('/p2p-circuit'))
  const open = direct.filter(
    (a) => !/\/ip4\/(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)|\/ip6\/(::1|f[cd])/.test(a),
  )
  return { open, relayed, direct }
}

/** How friends reach this guardian (in `dir`), in plain words, from the addresses it has now. */
export function reachability(addrs: readonly string[], dir: string): string[] {
  if (addrs.length === 0) return ['not running (start it to see how friends reach it)']
  const { open, relayed, direct } = addressKinds(addrs)
  const out: string[] = []
  if (open.length > 0) out.push(`friends can reach it directly at ${open.join(', ')}`)
  if (relayed.length > 0) out.push(`friends can reach it through a relay: ${relayed.join(', ')}`)
  // as the page says it: a guardian on 127.0.0.1 alone is reached from this computer only
  const loopback = direct.every((a) => /\/ip4\/127\.|\/ip6\/::1\//.test(a))
  if (out.length === 0)
    out.push(
      `only ${loopback ? 'addresses of this computer' : 'home-network addresses'} (${direct.join(', ')}): friends elsewhere cannot reach it. Add the relay your friend gives you (${GUARDIAN_ADVICE.addRelay.command(dir)}), then restart the guardian; or forward the port`,
    )
  return out
}
