/**
 * `/kith/enroll/2.0.0` (docs/format.md §Protocol messages): a coordinator presents a friend's invite
 * with its vault's signed roster and this guardian's share. The invite's secret comes first, alone, and
 * is checked before the (up to 1.3 MB) roster is read. Bound in one transaction, or not at all.
 */

import type { Connection, Stream } from '@libp2p/interface'
import { equalBytes } from '../../crypto/bytes.js'
import { ProtocolViolationError } from '../../p2p/errors.js'
import { inviteSecretHash } from '../../p2p/invite.js'
import { MSG } from '../../p2p/messages.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { checkLabel } from '../../text.js'
import { type GuardianContext, shortId } from '../context.js'
import { checkEnrollment } from '../ingest.js'
import { refuse } from './refuse.js'

export async function onEnroll(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.enroll, MSG.enroll.maxBytes)
  try {
    const hello = await wire.receive(MSG.enrollHello)
    ctx.db.vaults.usableInvite(inviteSecretHash(hello.secret), ctx.now())
    await wire.send(MSG.ack, {})
    const req = await wire.receive(MSG.enroll)
    if (!equalBytes(req.secret, hello.secret))
      throw new ProtocolViolationError(PROTOCOLS.enroll, 'the invite changed after its hello')
    const now = ctx.now()
    const invite = ctx.db.vaults.usableInvite(inviteSecretHash(req.secret), now)
    const { roster } = checkEnrollment(ctx.node.peerId, conn.remotePeer, req.roster, req.share)
    if (ctx.db.vaults.get(roster.vaultId) !== undefined) {
      throw new ProtocolViolationError(PROTOCOLS.enroll, 'vault already enrolled here')
    }
    // the vault's name comes from the friend's node: printable and one line, or the enrollment is refused
    const label = req.label ? checkLabel(req.label, "vault's name") : invite.label
    ctx.db.vaults.enroll({
      invite,
      vaultId: roster.vaultId,
      label,
      epoch: roster.epoch,
      roster: roster.bytes,
      share: req.share,
      now,
    })
    ctx.gossip.join(roster)
    await wire.send(MSG.enrolled, { quota: invite.quota })
    await stream.close()
    ctx.say(
      `enrolled vault ${shortId(roster.vaultId)} "${label}" (${roster.k}-of-${roster.guardians.length})`,
    )
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
