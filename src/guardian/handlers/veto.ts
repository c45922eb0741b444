/**
 * `/kith/veto/1.0.0`: the vault's live owner vetoes one recovery request with a vault-signed veto. It
 * stops release until this guardian's human overrides it (`approve --override-veto`), so a stolen vault
 * key can delay a recovery but never block it: the friend who talked to the operator decides.
 */
import type { Stream } from '@libp2p/interface'
import { openVeto } from '../../ceremony/veto.js'
import { toHex } from '../../crypto/bytes.js'
import { MSG } from '../../p2p/messages.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { type GuardianContext, shortId } from '../context.js'
import { RequestClosedError, UnknownRequestError } from '../errors.js'
import { refuse } from './refuse.js'

export async function onVeto(ctx: GuardianContext, stream: Stream): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.veto, MSG.veto.maxBytes)
  try {
    const veto = openVeto((await wire.receive(MSG.veto)).veto)
    await ctx.exclusive(veto.vaultId, async () => {
      const vault = ctx.db.vaults.require(veto.vaultId)
      const r = ctx.db.requests.get(veto.vaultId, veto.requestId)
      if (r === undefined) throw new UnknownRequestError(toHex(veto.requestId))
      if (r.state === 'pending' || r.state === 'approved') {
        // conditional: a release that slipped in between is final, and said so
        if (!ctx.db.requests.veto(veto.vaultId, veto.requestId, veto.bytes, ctx.now()))
          throw new RequestClosedError(ctx.db.requests.get(veto.vaultId, veto.requestId)?.state ?? 'expired')
        ctx.log.warn({ event: 'vetoed', vault: shortId(vault.vaultId), request: toHex(veto.requestId) })
        ctx.say(
          `VETO: the owner of vault "${vault.label}" (${shortId(vault.vaultId)}) says request ${toHex(veto.requestId)} is not them; it will not be released`,
        )
      } else if (r.state !== 'vetoed') throw new RequestClosedError(r.state)
      await wire.send(MSG.ack, {})
      await stream.close()
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
