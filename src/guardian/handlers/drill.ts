/**
 * `/kith/drill/1.0.0`: the vault's coordinator rehearses a recovery; this guardian proves it holds its
 * share and the named chunks (docs/format.md §Drill) without revealing either.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { chunkProof, shareProof } from '../../ceremony/drill.js'
import { sha256 } from '../../crypto/hash.js'
import { MSG } from '../../p2p/messages.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { authorize } from '../access.js'
import type { GuardianContext } from '../context.js'
import { noteHeard } from '../heard.js'
import { refuse } from './refuse.js'

const ZERO = new Uint8Array(32)

export async function onDrill(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.drill, MSG.drill.maxBytes)
  try {
    const req = await wire.receive(MSG.drill)
    const vault = ctx.db.vaults.require(req.vaultId)
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    noteHeard(ctx, vault.vaultId, 'coordinator')
    const envelope = ctx.db.vaults.currentShare(vault.vaultId)
    await wire.send(MSG.drilled, {
      shareProof: envelope ? shareProof(sha256(envelope), req.nonce) : ZERO,
      chunkProofs: req.chunks.map((id) => {
        const data = ctx.db.versions.chunk(vault.vaultId, id)
        return data ? chunkProof(req.nonce, data) : ZERO
      }),
      ...(vault.head !== null ? { head: vault.head } : {}),
    })
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
