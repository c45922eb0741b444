/**
 * `/kith/certify/1.0.0`: the vault's coordinator hands every guardian a version's commit certificate
 * once W of them hold it (docs/format.md §Commit certificate). Kept only if it proves the commit under
 * this guardian's roster.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { decodeUnsigned } from '../../codec/record.js'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { MSG } from '../../p2p/messages.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { CERTIFICATE } from '../../replica/certificate.js'
import { openHead } from '../../replica/head.js'
import { authorize, knownPeer } from '../access.js'
import type { GuardianContext } from '../context.js'
import { acceptCertificate } from '../heads.js'
import { noteHeard } from '../heard.js'
import { refuse } from './refuse.js'

export async function onCertify(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.certify, MSG.certify.maxBytes)
  try {
    // only a coordinator of a vault kept here may send one; a stranger is turned away unread
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator'))
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    const { certificate } = await wire.receive(MSG.certify)
    const vaultId = openHead(decodeUnsigned(CERTIFICATE, certificate).head).vaultId
    const vault = ctx.db.vaults.require(vaultId)
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    noteHeard(ctx, vault.vaultId, 'coordinator')
    acceptCertificate(ctx, vault, certificate)
    await wire.send(MSG.ack, {})
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
