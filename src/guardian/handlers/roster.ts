/**
 * `/kith/roster/1.0.0`: the vault's coordinator delivers a newer signed roster and this guardian's share
 * of its split. A roster that leaves this guardian out schedules the vault's removal here, after a grace
 * period its human is told about (guardian/removal.ts); one naming a different coordinator fences the old
 * one out, and one naming a fenced coordinator again lifts its fence.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { equalBytes } from '../../crypto/bytes.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdFromBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { openRoster } from '../../replica/roster.js'
import { knownPeer } from '../access.js'
import { applyChoice } from '../choice.js'
import { type GuardianContext, vaultName } from '../context.js'
import { BusyError } from '../errors.js'
import { noteHeard } from '../heard.js'
import { checkRosterUpdate } from '../ingest.js'
import { scheduleRemoval } from '../removal.js'
import { refuse } from './refuse.js'

export async function onRoster(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.roster, MSG.roster.maxBytes)
  // a recovered node taking a vault over is not yet its coordinator here: its (up to 1.3 MB) roster is
  // read within the budget for such large messages of strangers
  const stranger = !knownPeer(ctx, conn.remotePeer, 'coordinator')
  if (stranger && !ctx.rosterBudget.reserve(MSG.roster.maxBytes)) return refuse(ctx, wire, new BusyError())
  try {
    const req = await wire.receive(MSG.roster)
    const roster = openRoster(req.roster)
    const vaultId = roster.vaultId
    await ctx.exclusive(vaultId, async () => {
      let fencedOut: Uint8Array | undefined
      const vault = ctx.db.vaults.require(vaultId)
      const update = checkRosterUpdate(ctx.node.peerId, conn.remotePeer, vault, roster, req.share)
      if (!update.removed) noteHeard(ctx, vaultId, 'coordinator')
      if (update.removed) scheduleRemoval(ctx, vault, roster.epoch)
      else if (!update.unchanged && req.share !== undefined) {
        const before = ctx.roster(vault).coordinator
        const replaced =
          before !== undefined &&
          (roster.coordinator === undefined || !equalBytes(before, roster.coordinator))
        ctx.db.vaults.updateRoster(
          vaultId,
          {
            epoch: roster.epoch,
            roster: roster.bytes,
            share: req.share,
            coordinator: roster.coordinator,
            ...(replaced ? { fenced: before } : {}),
          },
          ctx.now(),
        )
        ctx.gossip.join(roster)
        if (replaced) fencedOut = before
        if (replaced)
          ctx.notify(
            'fencing',
            `"${vault.label}" was taken over`,
            `Your friend's node "${vault.label}" has a new coordinator (a recovery on a new machine). The old one is refused from now on. If your friend did not just recover, call them.`,
            { vault: vault.label, epoch: roster.epoch },
          )
        if (replaced)
          ctx.say(`vault ${vaultName(ctx, vaultId)} has a new coordinator; the old one is fenced out`)
        ctx.say(`vault ${vaultName(ctx, vaultId)} moved to epoch ${roster.epoch}`)
      }
      // the owner's choice of chain after a fork: applied once the roster it opens is in force here
      if (!update.removed && req.choice !== undefined)
        applyChoice(ctx, ctx.db.vaults.require(vaultId), roster, req.choice)
      await wire.send(MSG.ack, {})
      await stream.close()
      // the replaced coordinator's open streams (its plugin's journal) were authorized when they opened:
      // cut them, so its next entry meets the fence (FENCED, with the roster as proof) and stops its node
      if (fencedOut !== undefined)
        await ctx.node
          .hangUp(peerIdFromBytes(fencedOut))
          .catch((err: unknown) => ctx.log.debug({ event: 'hang-up-failed', reason: String(err) }))
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  } finally {
    if (stranger) ctx.rosterBudget.release(MSG.roster.maxBytes)
  }
}
