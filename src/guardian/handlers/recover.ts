/**
 * `/kith/recover/2.0.0` (docs/recovery.md, docs/format.md §Recovery request): a stranger asks for a
 * vault's share with a one-time recovery key. The request is recorded and waits for this guardian's
 * human; the recoverer polls. New requests are capped and rate-limited per peer and per network (a /24
 * or /64), and close another only if nobody asks after it (guardian/request-slots.ts). Each request gets
 * a random phone code, sent sealed to the recovery key and never shown here. Nothing about the vault (its roster) is told before this guardian's human
 * approved. Once approved and past the vault's release delay, the share envelope goes out sealed
 * to the recovery key, exactly once: marked released before the reply is sent.
 */
import type { Connection, Stream } from '@libp2p/interface'
import * as secp from '@noble/secp256k1'
import { sealRelease } from '../../ceremony/release.js'
import { newCode, recoveryRequestId, sealCode } from '../../ceremony/request.js'
import { equalBytes, toHex } from '../../crypto/bytes.js'
import { InvalidPublicKeyError } from '../../crypto/errors.js'
import { hostOf, networkOf } from '../../p2p/addresses.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { duration } from '../../time/durations.js'
import { addressRecords } from '../addresses.js'
import { GUARDIAN_ADVICE } from '../advice.js'
import { type GuardianContext, shortId } from '../context.js'
import { RateLimitedError, TooManyRequestsError } from '../errors.js'
import { REQUEST_CAPS } from '../limits.js'
import { chooseSlot, type SlotDecision, type SlotFull } from '../request-slots.js'
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

/** The request for this key, recorded (and its human told, once per network) if it is new. */
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
  const quietSince = now - duration('unattendedRequest')
  if (known !== undefined) {
    // its recoverer still asks after it: it keeps its slot
    if (known.state === 'pending') ctx.requestAttendance.touch(id, now, quietSince)
    return known
  }
  // every try at a new request costs its network a token, refused or not: probing for a slot the
  // moment one frees is as slow as asking. Polling a known request is never limited
  const network = networkOf(from.address)
  const peer = toHex(from.peer)
  if (!ctx.requestLimits.byNetwork.take(network, now)) throw new RateLimitedError('recovery requests')
  if (!ctx.requestLimits.byPeer.available(peer, now)) throw new RateLimitedError('recovery requests')
  ctx.db.requests.pruneClosed(now - duration('closedRequestRetention'))
  const seen = ctx.db.requests.addressesSeen(vault.vaultId).some((a) => networkOf(a) === network)
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
    now - duration('deniedNetworkHold'),
    _chooser(ctx, { requester: from.peer, network }, quietSince),
    now,
  )
  if (!added.added) {
    if (added.full === 'vault') _tellFull(ctx, vault, now)
    throw new TooManyRequestsError(added.full, REQUEST_CAPS[_CAP[added.full]], now - quietSince)
  }
  ctx.requestLimits.byPeer.take(peer, now)
  ctx.log.info({ event: 'recovery-requested', vault: shortId(vault.vaultId), request: toHex(id) })
  if (added.replaced !== undefined)
    ctx.log.info({
      event: 'recovery-superseded',
      vault: shortId(vault.vaultId),
      request: toHex(added.replaced),
    })
  if (!seen) _tellRequested(ctx, vault, id)
  return ctx.db.requests.get(vault.vaultId, id)!
}

/** Who gets a slot, asked by the store with the vault's open and lately denied requests. */
function _chooser(
  ctx: GuardianContext,
  asker: { requester: Uint8Array; network: string },
  quietSince: number,
): (held: { open: RecoveryRequestRow[]; denied: RecoveryRequestRow[] }) => SlotDecision {
  return ({ open, denied }) =>
    chooseSlot(
      open.map((r) => ({
        requestId: r.requestId,
        requester: r.requester,
        network: networkOf(r.requesterIp),
        state: r.state,
        lastAsked: ctx.requestAttendance.lastAsked(r.requestId, r.createdAt),
      })),
      denied.map((r) => networkOf(r.requesterIp)),
      asker,
      REQUEST_CAPS,
      quietSince,
    )
}

const _CAP: Record<SlotFull, keyof typeof REQUEST_CAPS> = {
  requester: 'perRequester',
  network: 'perNetwork',
  vault: 'perVault',
}

/** A request from a network not seen asking for this vault: its human hears of it, once per network. */
function _tellRequested(ctx: GuardianContext, vault: VaultRow, id: Uint8Array): void {
  ctx.notify(
    'recovery-request',
    `Recovery request for "${vault.label}"`,
    `Someone is recovering your friend's node "${vault.label}". Call your friend on a number you already know and ask them to read you the code kith shows them; approve only with that code, on your guardian's page (${GUARDIAN_ADVICE.open.command(ctx.dataDir)}) or with ${GUARDIAN_ADVICE.approve.command(ctx.dataDir)}. If you did not expect this, deny it.`,
    { vault: vault.label, request: toHex(id).slice(0, 8) },
  )
  ctx.say(
    `RECOVERY REQUEST for vault "${vault.label}". Call your friend on a number you already know and ask them to read you the code their recovery shows for you. Only if they called and you know their voice: ${GUARDIAN_ADVICE.approve.command(ctx.dataDir)}`,
  )
}

/** Every slot of the vault is held and asked after, and more are asking: one line an hour, not one each. */
function _tellFull(ctx: GuardianContext, vault: VaultRow, now: number): void {
  if (!ctx.requestLimits.floods.take(toHex(vault.vaultId), now)) return
  ctx.log.warn({ event: 'recovery-requests-full', vault: shortId(vault.vaultId) })
  const line = `MANY RECOVERY REQUESTS for vault "${vault.label}": all ${REQUEST_CAPS.perVault} places are taken, from several networks, and more are refused. If your friend calls, their code finds their request once it is in. Deny the requests you do not expect (${GUARDIAN_ADVICE.requests.command(ctx.dataDir)}): each keeps its network out for an hour`
  ctx.notify('recovery-requests-full', `Many recovery requests for "${vault.label}"`, line, {
    vault: vault.label,
  })
  ctx.say(line)
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
