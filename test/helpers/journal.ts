/**
 * A journal's writer on a raw `/kith/stream/1.0.0` stream, as whoever holds the vault's coordinator
 * identity and a writer key can run one: it signs entries at any position with any predecessor, so an
 * attack test can send what the plugin's writer (p2p/journal-writer.ts) never would.
 */
import { randomBytes } from 'node:crypto'
import { ed25519PublicKey, ed25519Signer } from '../../src/crypto/ed25519.js'
import { genesisHash, type JournalEntry, makeEntry, signWriterCertificate } from '../../src/journal/entry.js'
import type { PeerRef } from '../../src/p2p/client.js'
import { MSG } from '../../src/p2p/messages.js'
import type { KithNode } from '../../src/p2p/node.js'
import { openStream } from '../../src/p2p/peers.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'

/** A writer key the vault key certified for one journal, and the entries it signs. */
export function certifiedWriter(vaultSecretKey: Uint8Array, vaultId: Uint8Array, journal: string) {
  const seed = new Uint8Array(randomBytes(32))
  const certificate = signWriterCertificate(
    { vaultId, journal, writerKey: ed25519PublicKey(seed), createdAt: Date.now() },
    vaultSecretKey,
  )
  const journalKey = new Uint8Array(randomBytes(32))
  const sign = ed25519Signer(seed)
  return {
    vaultId,
    journal,
    certificate: certificate.bytes,
    /** The writer's public key: what its entries verify under. */
    writerKey: certificate.writerKey,
    /** The mark of a snapshot at `position` that no entry precedes. */
    genesis: (position: number) => genesisHash(vaultId, journal, position),
    /** An entry at `position` after `prev`, its payload `size` random bytes sealed. */
    entry: (position: number, prev: Uint8Array, size = 64): JournalEntry =>
      makeEntry({
        vaultId,
        journal,
        position,
        prev,
        plaintext: new Uint8Array(randomBytes(size)),
        journalKey,
        sign,
      }),
  }
}

export type CertifiedWriter = ReturnType<typeof certifiedWriter>

/** One journal's stream to a guardian: the state it answered on opening, then one entry at a time. */
export interface RawJournal {
  /** The guardian's newest entry when the stream opened (0 and zeros: none). */
  readonly state: { readonly position: number; readonly hash: Uint8Array }
  /** Send an entry; the position acknowledged (a refusal throws RemoteError, and ends the stream). */
  send(e: JournalEntry): Promise<number>
  close(): Promise<void>
}

export async function openJournal(
  node: KithNode,
  guardian: PeerRef,
  writer: CertifiedWriter,
): Promise<RawJournal> {
  const stream = await openStream(node, guardian.peerId, guardian.addrs, PROTOCOLS.journal)
  const wire = new Wire(stream, PROTOCOLS.journal, MSG.journalState.maxBytes)
  try {
    await wire.send(MSG.journalOpen, { certificate: writer.certificate })
    const state = await wire.receive(MSG.journalState)
    return {
      state,
      send: async (e) => {
        await wire.send(MSG.entry, { entry: e.bytes })
        return (await wire.receive(MSG.entryAck)).position
      },
      close: () => stream.close().catch(() => undefined),
    }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
