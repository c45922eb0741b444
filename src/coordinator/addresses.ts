/**
 * Guardians whose address moved (a home IP that changed, a restart on a new port): each guardian keeps
 * the newest signed address record of its fellows (libp2p's identify hands them over on every
 * connection), so the coordinator asks the ones it can reach and keeps the newest verified record of
 * each member (net-store.ts). Nobody edits a file.
 */
import { decodeUnsigned } from '../codec/record.js'
import { toHex } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { fetchFromPeer } from '../p2p/client.js'
import { MSG } from '../p2p/messages.js'
import type { KithNode } from '../p2p/node.js'
import { openAddressRecord } from '../p2p/peer-records.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { duration } from '../time/durations.js'
import { distrust } from './distrust.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

/** How the open connection to a guardian runs: direct, or through a relay (a p2p-circuit address). */
export function pathTo(node: KithNode, g: GuardianRow): 'direct' | 'relayed' | undefined {
  const c = node.getConnections(peerIdFromBytes(g.peerId))[0]
  if (c === undefined) return undefined
  return c.remoteAddr.toString().includes('/p2p-circuit') ? 'relayed' : 'direct'
}

/** Ask `from` where the vault's members are now; keep every newer verified record. How many moved. */
export async function refreshAddresses(vault: Vault, from: readonly GuardianRow[]): Promise<number> {
  const node = await vault.network()
  const members = new Map(vault.members().map((g) => [toHex(g.peerId), g] as const))
  let moved = 0
  await Promise.all(
    from.map(async (g) => {
      let records: readonly { record: Uint8Array }[]
      let bytes: Uint8Array
      try {
        bytes = await fetchFromPeer(
          node,
          g,
          vault.vaultId,
          { what: 'addresses' },
          { signal: AbortSignal.timeout(duration('askAddresses')), log: vault.p2pLog },
        )
      } catch (err) {
        // unreachable or an older guardian: it tells us nothing
        vault.log.debug({ event: 'addresses-not-given', guardian: g.label, ...errorFields(err) })
        return
      }
      try {
        records = decodeUnsigned(MSG.addresses, bytes).records
      } catch (err) {
        if (err instanceof KithError) distrust(vault, g, 'the address records it keeps', err)
        return
      }
      for (const { record } of records) {
        const r = await openAddressRecord(record)
        // each is signed by the guardian it names: one that does not verify was made up by `g`
        if (r === undefined)
          distrust(vault, g, 'an address record', {
            code: 'BAD_SIGNATURE',
            reason: 'not signed by the guardian it names; not used',
          })
        if (r === undefined || !members.has(toHex(r.peerId))) continue
        const before = members.get(toHex(r.peerId))!
        if (!vault.db.net.offer(r.peerId, r.addrs, r.seq, vault.now())) continue
        moved++
        // a newer record is sealed at every start: only addresses that changed are news
        const changed = before.addrs.join(' ') !== r.addrs.join(' ')
        ;(changed ? vault.log.info : vault.log.debug).call(vault.log, {
          event: changed ? 'address-moved' : 'address-record-newer',
          guardian: before.label,
          seq: r.seq,
          addrs: r.addrs.length,
          from: g.label,
        })
      }
    }),
  )
  return moved
}
