/**
 * `/kith/fetch/1.0.0`: heads, manifests, chunks, equivocation evidence and open recovery requests, for
 * the vault's coordinator and guardians; heads, manifests and (encrypted) chunks also for a recoverer
 * with a live request for the vault.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { encodeRecordBody } from '../../codec/record.js'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { type MessageOf, MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { authorize, knownPeer } from '../access.js'
import type { GuardianContext } from '../context.js'
import { NotHeldError } from '../errors.js'
import type { VaultRow } from '../store/index.js'
import { refuse } from './refuse.js'

type FetchRequest = MessageOf<'fetch'>

/** What to answer a fetch with, or undefined when it is not held. */
function _answer(ctx: GuardianContext, vault: VaultRow, req: FetchRequest): Uint8Array | undefined {
  switch (req.what) {
    case 'head':
      return vault.head ?? undefined
    case 'manifest':
      return req.version === undefined ? undefined : ctx.db.versions.manifest(vault.vaultId, req.version)
    case 'chunk':
      return req.chunkId === undefined ? undefined : ctx.db.versions.chunk(vault.vaultId, req.chunkId)
    case 'evidence': {
      const e = ctx.db.versions.evidence(vault.vaultId)[0]
      return e === undefined ? undefined : encodeRecordBody(MSG.evidence, e)
    }
    case 'requests': {
      ctx.db.requests.expire(ctx.now())
      const open = ctx.db.requests.list({ vaultId: vault.vaultId, open: true })
      return encodeRecordBody(MSG.requests, { requests: open })
    }
  }
}

export async function onFetch(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.fetch, MSG.fetch.maxBytes)
  try {
    const peer = peerIdBytes(conn.remotePeer)
    if (!knownPeer(ctx, conn.remotePeer, 'members') && !ctx.db.requests.hasLive(peer, ctx.now()))
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    const req = await wire.receive(MSG.fetch)
    const vault = ctx.db.vaults.require(req.vaultId)
    // a recoverer with a live request may read heads, manifests and (encrypted) chunks
    const readable = req.what === 'head' || req.what === 'manifest' || req.what === 'chunk'
    const recoverer = readable && ctx.db.requests.hasLive(peer, ctx.now(), vault.vaultId)
    if (!recoverer) authorize(ctx.roster(vault), conn.remotePeer, 'members')
    const data = _answer(ctx, vault, req)
    if (data === undefined) throw new NotHeldError()
    await wire.send(MSG.fetched, { data })
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
