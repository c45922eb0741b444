/**
 * `/kith/stream/1.0.0` (docs/format.md §Live stream; the id keeps the journal's historical name): the
 * vault's coordinator (a node's live-database plugin runs under its identity) keeps one libp2p stream
 * open per journal and sends entries; each is verified (writer key certified by the vault key, Ed25519
 * signature, hash chain: past a gap only from a committed snapshot's mark, never on faith), counted in
 * the vault's one quota, appended durably and acknowledged. One stream carries one journal; a broken one
 * is simply opened again by the writer.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { equalBytes } from '../../crypto/bytes.js'
import { openEntry, openWriterCertificate } from '../../journal/entry.js'
import { BadEntryError } from '../../journal/errors.js'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { duration } from '../../time/durations.js'
import { authorize, knownPeer } from '../access.js'
import { type GuardianContext, shortId } from '../context.js'
import { FencedError } from '../errors.js'
import { coverJournals } from '../heads.js'
import { noteHeard } from '../heard.js'
import { MAX_JOURNALS_PER_VAULT } from '../limits.js'
import { requireRoom, warnIfNearlyFull } from '../quota.js'
import { refuse } from './refuse.js'

export async function onJournal(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.journal, MSG.entry.maxBytes, duration('journalIdle'))
  try {
    // a replaced node's plugin is told so (it asks for the proof and stops lightningd), not just refused
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator')) {
      if (ctx.db.vaults.fencedAnywhere(peerIdBytes(conn.remotePeer))) throw new FencedError()
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    }
    const cert = openWriterCertificate((await wire.receive(MSG.journalOpen)).certificate)
    const vault = ctx.db.vaults.require(cert.vaultId)
    if (ctx.db.vaults.isFenced(vault.vaultId, peerIdBytes(conn.remotePeer))) throw new FencedError()
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    noteHeard(ctx, vault.vaultId, 'plugin')
    const known = ctx.db.journals.get(cert.vaultId, cert.journal)
    // a newer certificate (a re-installed writer) replaces an older one, never the other way; a vault
    // keeps a few journals at most (each name its key certifies would be a row more)
    if (known === undefined || openWriterCertificate(known.certificate).createdAt <= cert.createdAt)
      ctx.db.journals.setCertificate(
        cert.vaultId,
        cert.journal,
        cert.bytes,
        ctx.now(),
        MAX_JOURNALS_PER_VAULT,
      )
    // the newest commit certificate may have come before this journal had a row here: its marks apply
    // now, since a first entry (or one past a gap) must follow one
    coverJournals(ctx, cert.vaultId, vault.certifiedVersion)
    const s = ctx.db.journals.get(cert.vaultId, cert.journal)!
    if (!equalBytes(s.certificate, cert.bytes)) throw new BadEntryError(0, 'writer')
    await wire.send(MSG.journalState, { position: s.lastPosition, hash: s.lastHash ?? new Uint8Array(32) })
    for (;;) {
      const msg = await wire.receive(MSG.entry).catch((err: unknown) => {
        // the writer closed its end: the stream is over, not an error
        if (stream.remoteWriteStatus === 'closed' || stream.status !== 'open') return undefined
        throw err
      })
      if (msg === undefined) break
      const e = openEntry(msg.entry, cert.writerKey)
      if (!equalBytes(e.vaultId, cert.vaultId) || e.journal !== cert.journal)
        throw new BadEntryError(e.position, 'journal')
      // entries count in the vault's one quota, with its versions and its other journals
      const result = ctx.db.journals.append(e, (bytes) => requireRoom(ctx.db, cert.vaultId, bytes))
      noteHeard(ctx, cert.vaultId, 'plugin')
      if (result === 'replaced')
        // the log's event and field keep the journal's historical name
        ctx.log.info({
          event: 'stream-rewind',
          vault: shortId(cert.vaultId),
          stream: cert.journal,
          position: e.position,
        })
      if (result !== 'duplicate') warnIfNearlyFull(ctx, cert.vaultId)
      await wire.send(MSG.entryAck, { position: e.position })
    }
    await stream.close().catch(() => undefined)
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
