/**
 * `/kith/release-file/1.0.0` (docs/format.md §Release offer): a vault's coordinator offers the kith
 * release file it runs, so that this guardian's page can give it to the friend on the day of a recovery.
 * Only the vault's own coordinator may offer, and only for that vault; a stranger is turned away before
 * the offer is read. The bytes are kept only when they are the size and SHA-256 offered (release-files.ts).
 */
import type { Connection, Stream } from '@libp2p/interface'
import { toHex } from '../../crypto/bytes.js'
import { ProtocolViolationError, UnauthorizedPeerError } from '../../p2p/errors.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { authorize, knownPeer } from '../access.js'
import { type GuardianContext, shortId } from '../context.js'
import { FencedError } from '../errors.js'
import type { ReleaseSource } from '../release-files.js'
import { refuse } from './refuse.js'

export async function onReleaseFile(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.releaseFile, MSG.releasePart.maxBytes)
  try {
    // only a coordinator of a vault kept here may offer one; a stranger is turned away unread
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator'))
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    const offer = await wire.receive(MSG.releaseOffer)
    const vault = ctx.db.vaults.require(offer.vaultId)
    if (ctx.db.vaults.isFenced(vault.vaultId, peerIdBytes(conn.remotePeer))) throw new FencedError()
    // the coordinator of another vault kept here offers for its own vault only
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    const files = ctx.releaseFiles
    const promised = { name: offer.name, sha256: toHex(offer.sha256), size: offer.size }
    const source: ReleaseSource = { from: 'vault', vault: toHex(vault.vaultId) }
    files.checkOffer(promised)
    if ((await files.get(promised.sha256)) !== undefined) {
      await files.noteSource(promised.sha256, source)
      await wire.send(MSG.releaseAnswer, { answer: 'have' })
      await stream.close()
      return
    }
    await files.checkRoom(promised.size)
    files.takeIntake(source.vault)
    await wire.send(MSG.releaseAnswer, { answer: 'send' })
    await files.receive(promised, source, _parts(wire, promised.size))
    // each vault keeps its newest files only, at once: never a pile until the next start
    await files.prune(new Set(ctx.db.vaults.all().map((v) => toHex(v.vaultId))))
    await wire.send(MSG.ack, {})
    await stream.close()
    ctx.log.info({ event: 'release-file-received', vault: shortId(vault.vaultId), name: promised.name })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

/**
 * The parts of the file, read one at a time until the size offered is reached (or passed: refused); each
 * acked once its taker has written it and asks for the next, so the sender never runs ahead of the disk.
 */
async function* _parts(wire: Wire, size: number): AsyncIterable<Uint8Array> {
  for (let got = 0; got < size; ) {
    const { data } = await wire.receive(MSG.releasePart)
    if (data.length === 0) throw new ProtocolViolationError(PROTOCOLS.releaseFile, 'an empty part')
    got += data.length
    yield data
    await wire.send(MSG.ack, {})
  }
}
