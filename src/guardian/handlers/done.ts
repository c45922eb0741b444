/**
 * `/kith/recovery-done/1.0.0` (docs/format.md §Recovery done): the person who recovered a vault says so,
 * and this guardian closes that request, whatever it still waited for. Anyone may send it: it counts
 * only with both signatures, the vault key's and the one-time recovery key's the request was made with.
 * The guardian's human is told the recovery is done, and the page stops asking them to approve it.
 */
import type { Stream } from '@libp2p/interface'
import { requesterSigned, vaultSigned } from '../../ceremony/done.js'
import { BadSignatureError } from '../../codec/errors.js'
import { toHex } from '../../crypto/bytes.js'
import { MSG } from '../../p2p/messages.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { type GuardianContext, shortId, vaultName } from '../context.js'
import type { RequestState, VaultRow } from '../store/index.js'
import { refuse } from './refuse.js'

export async function onDone(ctx: GuardianContext, stream: Stream): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.done, MSG.done.maxBytes)
  try {
    const done = await wire.receive(MSG.done)
    // the vault key first: nothing about a request is read for a message its vault did not sign
    if (!vaultSigned(done)) throw new BadSignatureError('recovery done (vault key)')
    await ctx.exclusive(done.vaultId, async () => {
      const vault = ctx.db.vaults.require(done.vaultId)
      const r = ctx.db.requests.get(done.vaultId, done.requestId)
      // a request this guardian never held (it was offline) has nothing to close
      if (r !== undefined) {
        if (!requesterSigned(done, r.recoveryKey)) throw new BadSignatureError('recovery done (recovery key)')
        if (r.state === 'vetoed') _vetoedDone(ctx, vault, done.requestId)
        const was = ctx.db.requests.finish(done.vaultId, done.requestId, ctx.now())
        if (was !== undefined) _tell(ctx, vault, done.requestId, was)
      }
      await wire.send(MSG.ack, {})
      await stream.close()
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

function _tell(ctx: GuardianContext, vault: VaultRow, requestId: Uint8Array, was: RequestState): void {
  const name = vaultName(ctx, vault.vaultId)
  ctx.log.info({
    event: 'recovery-finished',
    vault: shortId(vault.vaultId),
    request: toHex(requestId),
    was,
  })
  // only a friend who approved it knows whose recovery it was; the others hear what is known
  const words =
    was === 'released'
      ? `Your friend finished recovering their node "${vault.label}" with your share: they have it back. Nothing for you to do; the request is closed.`
      : `The recovery of "${vault.label}" finished with other friends' approvals: whoever asked has the node back, and the request is closed. If your friend told you they were recovering, nothing to do; if you did not hear from them, call them.`
  ctx.notify('recovery-finished', `Recovery of "${vault.label}" is done`, words, {
    vault: vault.label,
    request: toHex(requestId).slice(0, 8),
  })
  ctx.say(`recovery of vault ${name} is done (request ${toHex(requestId).slice(0, 8)} closed): ${words}`)
}

/**
 * A recovery the owner vetoed here got the vault back elsewhere (other friends approved it): it stays
 * vetoed, and this guardian's human is told at once, once (the audit log keeps it), to call the owner.
 */
function _vetoedDone(ctx: GuardianContext, vault: VaultRow, requestId: Uint8Array): void {
  if (ctx.db.audit.hasRequestEvent(vault.vaultId, 'recovery-vetoed-finished', toHex(requestId))) return
  ctx.db.audit.record(vault.vaultId, 'recovery-vetoed-finished', { request: toHex(requestId) }, ctx.now())
  ctx.log.warn({
    event: 'recovery-vetoed-finished',
    vault: shortId(vault.vaultId),
    request: toHex(requestId),
  })
  const words = `A recovery of "${vault.label}" that your friend's node vetoed got the vault back with other friends' approvals: whoever made it holds your friend's node keys. Call your friend now, on a number you already know.`
  ctx.notify('recovery-vetoed-finished', `Vetoed recovery of "${vault.label}" succeeded`, words, {
    vault: vault.label,
    request: toHex(requestId).slice(0, 8),
  })
  ctx.say(`VETOED RECOVERY DONE for vault ${vaultName(ctx, vault.vaultId)}: ${words}`)
}
