/**
 * `/kith/recover/2.0.0` (docs/recovery.md, docs/format.md §Recovery request): a stranger asks for a
 * vault's share with a one-time recovery key. The request is recorded and waits for this guardian's
 * human; the recoverer polls. New requests are capped and rate-limited per peer and per address, and
 * never close another request. Each request gets a random phone code, sent sealed to the recovery key
 * and never shown here. Nothing about the vault (its roster) is told before this guardian's human
 * approved. Once approved and past the vault's release delay, the share envelope goes out sealed
 * to the recovery key, exactly once: marked released before the reply is sent.
 */
import type { Connection, Stream } from '@libp2p/interface'
import * as secp from '@noble/secp256k1'
import { sealRelease } from '../../ceremony/release.js'
import { newCode, recoveryRequestId, sealCode } from '../../ceremony/request.js'
import { equalBytes, toHex } from '../../crypto/bytes.js'
import { InvalidPublicKeyError } from '../../crypto/errors.js'
import { hostOf } from '../../p2p/addresses.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { duration } from '../../time/durations.js'
import { addressRecords } from '../addresses.js'
import { type GuardianContext, shortId } from '../context.js'
import { RateLimitedError, TooManyRequestsError } from '../errors.js'
import { REQUEST_CAPS } from '../limits.js'
import type { RecoveryRequestRow, VaultRow } from '../store/index.js'
import { refuse } from './refuse.js'

function _checkKey(key: Uint8Array): void {
  try {
    secp.Point.fromBytes(key)
  } catch {
    // noble's parse error says nothing more than "not a point"; the named error says which key
    throw new InvalidPublicKeyError('recovery key')
  }
}

/** The request for this key, recorded (and its human told, once per requester) if it is new. */
function _request(
  ctx: GuardianContext,
  vault: VaultRow,
  key: Uint8Array,
  from: { peer: Uint8Array; address: string },
  now: number,
): RecoveryRequestRow {
  const id = recoveryRequestId(vault.vaultId, key)
  const known = ctx.db.requests.get(vault.vaultId, id)
  // the id binds the key; a row is only ever answered (and its share sealed) for the key it was made with
  if (known !== undefined && !equalBytes(known.recoveryKey, key))
    throw new InvalidPublicKeyError('recovery key')
  if (known !== undefined) return known
  // only a new request that is recorded costs a token: polling a known one is never limited, and one
  // the caps refuse (the owner's, while strangers fill them) leaves the asker's tokens as they were
  const peer = toHex(from.peer)
  if (!ctx.requestLimits.byAddress.take(from.address, now)) throw new RateLimitedError('recovery requests')
  if (!ctx.requestLimits.byPeer.take(peer, now)) {
    ctx.requestLimits.byAddress.refund(from.address)
    throw new RateLimitedError('recovery requests')
  }
  ctx.db.requests.pruneClosed(now - duration('closedRequestRetention'))
  const code = newCode()
  const added = ctx.db.requests.add(
    {
      vaultId: vault.vaultId,
      requestId: id,
      recoveryKey: key,
      requester: from.peer,
      requesterIp: from.address,
      code,
      createdAt: now,
      expiresAt: now + vault.requestTtl,
    },
    REQUEST_CAPS,
    now,
  )
  if (!added.added) {
    ctx.requestLimits.byAddress.refund(from.address)
    ctx.requestLimits.byPeer.refund(peer)
    throw new TooManyRequestsError()
  }
  ctx.log.info({ event: 'recovery-requested', vault: shortId(vault.vaultId), request: toHex(id) })
  if (added.newRequester)
    ctx.notify(
      'recovery-request',
      `Recovery request for "${vault.label}"`,
      `Someone is recovering your friend's node "${vault.label}". Call your friend on a number you already know and ask them to read you the code kith shows them; approve only with that code, on your guardian's page (kith guardian open) or with kith guardian approve --code …. If you did not expect this, deny it.`,
      { vault: vault.label, request: toHex(id).slice(0, 8) },
    )
  if (added.newRequester)
    ctx.say(
      `RECOVERY REQUEST for vault "${vault.label}". Call your friend on a number you already know and ask them to read you the code their recovery shows for you. Only if they called and you know their voice: kith guardian approve --code <the code they read>`,
    )
  return ctx.db.requests.get(vault.vaultId, id)!
}

/** The sealed share, if this poll is the one that releases it. */
function _release(
  ctx: GuardianContext,
  vault: VaultRow,
  r: RecoveryRequestRow,
  now: number,
): Uint8Array | undefined {
  if (r.state !== 'approved' || (r.releaseAt ?? 0) > now) return undefined
  const envelope = ctx.db.vaults.currentShare(vault.vaultId)
  const box = envelope && sealRelease(r.recoveryKey, r.requestId, envelope)
  // durable before it leaves: a request never gets its share twice, even across a crash
  if (box === undefined || !ctx.db.requests.markReleased(vault.vaultId, r.requestId, box, now))
    return undefined
  ctx.log.info({ event: 'share-released', vault: shortId(vault.vaultId), request: toHex(r.requestId) })
  ctx.say(`released the share of vault "${vault.label}" to request ${toHex(r.requestId)}`)
  return box
}

export async function onRecover(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.recover, MSG.recover.maxBytes)
  try {
    const { vaultId, recoveryKey } = await wire.receive(MSG.recover)
    _checkKey(recoveryKey)
    await ctx.exclusive(vaultId, async () => {
      const vault = ctx.db.vaults.require(vaultId)
      const now = ctx.now()
      ctx.db.requests.expire(now)
      const from = { peer: peerIdBytes(conn.remotePeer), address: hostOf(conn.remoteAddr) }
      const asked = _request(ctx, vault, recoveryKey, from, now)
      const released = _release(ctx, vault, asked, now)
      // only a release changed the row since it was read
      const r = released === undefined ? asked : ctx.db.requests.get(vaultId, asked.requestId)!
      // a released share goes out again on every poll: it opens only with the recovery key, and a peer
      // that polls with someone else's public key must not be able to use up their one release
      const sealedShare = r.state === 'released' ? (r.sealedShare ?? undefined) : undefined
      // the roster names every friend and where they are: only for a request this human approved
      const approved = r.state === 'approved' || r.state === 'released'
      await wire.send(MSG.recovery, {
        requestId: r.requestId,
        state: r.state,
        ...(r.state === 'approved' && r.releaseAt !== null ? { releaseAt: r.releaseAt } : {}),
        ...(approved ? { roster: vault.roster } : {}),
        // and where they are now: a recoverer with an old kit finds those who moved
        ...(approved ? { addresses: (await addressRecords(ctx, vault)).map((record) => ({ record })) } : {}),
        ...(sealedShare !== undefined ? { sealedShare } : {}),
        // sealed to the key the request was made with: only the person recovering can read it out
        ...(r.state === 'pending' ? { sealedCode: sealCode(r.recoveryKey, r.requestId, r.code) } : {}),
      })
      await stream.close()
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
