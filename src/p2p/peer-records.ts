/**
 * Addresses that move (docs/format.md §Address records): libp2p's own signed peer records (a
 * RecordEnvelope of a PeerRecord, domain `libp2p-peer-record`), sequence-numbered, so whoever holds the
 * newest one knows where a guardian is now. kith adds no format of its own: it seals, opens and passes
 * these along.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdBytes } from './peers.js'

/** What a verified record says. */
export interface AddressRecord {
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
  readonly seq: number
  readonly bytes: Uint8Array
}

/** Most bytes one record may take (a handful of addresses). */
export const MAX_ADDRESS_RECORD = 2048

/** Seal this peer's addresses (without their /p2p part) into a record numbered `seq` (default: now). */
export async function sealAddressRecord(
  privateKey: PrivateKey,
  addrs: readonly string[],
  seq = Date.now(),
): Promise<Uint8Array> {
  const record = new PeerRecord({
    peerId: peerIdFromPrivateKey(privateKey),
    multiaddrs: addrs.map((a) => multiaddr(a)),
    seqNumber: BigInt(seq),
  })
  return (await RecordEnvelope.seal(record, privateKey)).marshal()
}

/** Open a record and verify its signature by the peer it names; undefined if it does not verify. */
export async function openAddressRecord(bytes: Uint8Array): Promise<AddressRecord | undefined> {
  try {
    if (bytes.length > MAX_ADDRESS_RECORD) return undefined
    const envelope = await RecordEnvelope.openAndCertify(bytes, PeerRecord.DOMAIN)
    const record = PeerRecord.createFromProtobuf(envelope.payload)
    if (!envelope.publicKey.equals(record.peerId.publicKey)) return undefined
    return {
      peerId: peerIdBytes(record.peerId),
      addrs: record.multiaddrs.map((m) => m.toString()),
      seq: Number(record.seqNumber),
      bytes,
    }
  } catch {
    return undefined
  }
}
