/**
 * The guardian's protocol handlers: enroll (with an invite), roster updates, push (offer, need,
 * chunks, receipt) and fetch. Each checks before it stores, answers a refusal with a named error,
 * and stores nothing for a refused request.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { encodeRecordBody } from '../codec/record.js'
import { equalBytes } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { ProtocolViolationError, UnauthorizedPeerError } from '../p2p/errors.js'
import { inviteSecretHash } from '../p2p/invite.js'
import { MSG } from '../p2p/messages.js'
import { peerIdBytes, samePeer } from '../p2p/peers.js'
import { PROTOCOLS, Wire } from '../p2p/wire.js'
import { openHead } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { openRoster } from '../replica/roster.js'
import { type GuardianContext, headsTopic, shortId } from './context.js'
import { EquivocationError, FencedError, NotHeldError, StorageFailedError } from './errors.js'
import { authorize, checkEnrollment, checkOffer, checkRosterUpdate } from './ingest.js'
import { acceptChunk, publishEvidence, receiptFor, storeVersion } from './versions.js'

/** Whether `peer` coordinates (or, for 'members', guards) any vault kept here: a cheap pre-check;
 * each request is still authorized against its own vault's roster. */
function knownPeer(ctx: GuardianContext, peer: PeerId, allow: 'coordinator' | 'members'): boolean {
  for (const v of ctx.db.vaults()) {
    const roster = ctx.roster(v)
    if (roster.coordinator !== undefined && samePeer(peer, roster.coordinator)) return true
    if (allow === 'members' && roster.guardians.some((g) => samePeer(peer, g.peerId))) return true
  }
  return false
}

/** Answer with a named error; an unexpected one is also logged (its message, never data). */
export async function refuse(ctx: GuardianContext, wire: Wire, thrown: unknown): Promise<void> {
  // a full or failing disk is the friend's to fix: name it, and tell them on their terminal
  const sqlite = (thrown as { code?: unknown })?.code
  const storage = typeof sqlite === 'string' && /^SQLITE_(FULL|IOERR)/.test(sqlite)
  const err = storage ? new StorageFailedError(sqlite) : thrown
  if (storage)
    ctx.say(
      `!! cannot write to disk (${sqlite}): it is full or failing; free space, then restart the guardian`,
    )
  ctx.log.warn({ event: 'refused', protocol: wire.protocol, ...errorFields(err) })
  if (!(err instanceof KithError))
    ctx.say(`internal error on ${wire.protocol}: ${(err as Error)?.message ?? String(err)}`)
  await wire.sendError(err)
}

export async function onEnroll(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.enroll, MSG.enroll.maxBytes)
  try {
    const req = await wire.receive(MSG.enroll)
    const now = ctx.now()
    const invite = ctx.db.usableInvite(inviteSecretHash(req['secret'] as Uint8Array), now)
    const share = req['share'] as Uint8Array
    const { roster } = checkEnrollment(ctx.node.peerId, conn.remotePeer, req['roster'] as Uint8Array, share)
    if (ctx.db.vault(roster.vaultId) !== undefined) {
      throw new ProtocolViolationError(PROTOCOLS.enroll, 'vault already enrolled here')
    }
    const label = (req['label'] as string) || invite.label
    ctx.db.enrollVault({
      invite,
      vaultId: roster.vaultId,
      label,
      epoch: roster.epoch,
      roster: roster.bytes,
      share,
      now,
    })
    ctx.node.services.pubsub.subscribe(headsTopic(roster.vaultId))
    await wire.send(MSG.enrolled, { quota: invite.quota })
    await stream.close()
    ctx.say(
      `enrolled vault ${shortId(roster.vaultId)} "${label}" (${roster.k}-of-${roster.guardians.length})`,
    )
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

export async function onRoster(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.roster, MSG.roster.maxBytes)
  try {
    const req = await wire.receive(MSG.roster)
    const rosterBytes = req['roster'] as Uint8Array
    const share = req['share'] as Uint8Array | undefined
    const roster = openRoster(rosterBytes)
    const vaultId = roster.vaultId
    await ctx.exclusive(vaultId, async () => {
      const vault = ctx.db.requireVault(vaultId)
      const update = checkRosterUpdate(ctx.node.peerId, conn.remotePeer, vault, roster, share)
      if (update.removed) {
        ctx.db.removeVault(vaultId, roster.epoch, ctx.now())
        ctx.node.services.pubsub.unsubscribe(headsTopic(vaultId))
        ctx.say(
          `vault ${shortId(vaultId)} removed this guardian at epoch ${roster.epoch}; its data was deleted`,
        )
      } else if (!update.unchanged) {
        const before = ctx.roster(vault).coordinator
        const fenced =
          before !== undefined &&
          (roster.coordinator === undefined || !equalBytes(before, roster.coordinator))
            ? before
            : undefined
        ctx.db.updateRoster(vaultId, roster.epoch, roster.bytes, share!, ctx.now(), fenced)
        if (fenced) ctx.say(`vault ${shortId(vaultId)} has a new coordinator; the old one is fenced out`)
        ctx.say(`vault ${shortId(vaultId)} moved to epoch ${roster.epoch}`)
      }
      await wire.send(MSG.ack, {})
      await stream.close()
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

export async function onPush(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.push, MSG.offer.maxBytes)
  try {
    // a stranger is turned away before a (possibly 28 MiB) offer is read
    const peer = peerIdBytes(conn.remotePeer)
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator')) {
      if (ctx.db.fencedAnywhere(peer)) throw new FencedError()
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    }
    const offer = await wire.receive(MSG.offer)
    const manifest = openManifest(offer['manifest'] as Uint8Array)
    await ctx.exclusive(manifest.vaultId, async () => {
      const vault = ctx.db.requireVault(manifest.vaultId)
      if (ctx.db.isFenced(vault.vaultId, peer)) throw new FencedError()
      authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
      const checked = checkOffer(ctx.db, vault, manifest, ctx.now())
      await wire.send(MSG.need, {
        chunks: [...checked.need.keys()].map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
      })
      for (let i = checked.need.size; i > 0; i--) {
        const c = await wire.receive(MSG.chunk)
        acceptChunk(ctx, checked, c['id'] as Uint8Array, c['data'] as Uint8Array)
        await wire.send(MSG.ack, {})
      }
      const receipt = checked.duplicate ? receiptFor(ctx, checked) : storeVersion(ctx, checked)
      ctx.log.info({
        event: 'version-stored',
        vault: shortId(manifest.vaultId),
        version: manifest.version,
        chunks: checked.need.size,
        duplicate: checked.duplicate,
      })
      await wire.send(MSG.receipt, { receipt })
      await stream.close()
    })
  } catch (err) {
    if (err instanceof EquivocationError && err.heads) {
      const vaultId = openHead(err.heads.held).vaultId
      ctx.say(
        `!! EQUIVOCATION in vault ${shortId(vaultId)}: two different version ${err.version}s; evidence kept and announced`,
      )
      publishEvidence(ctx, vaultId, err.heads)
    }
    await refuse(ctx, wire, err)
  }
}

export async function onFetch(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.fetch, MSG.fetch.maxBytes)
  try {
    const peer = peerIdBytes(conn.remotePeer)
    if (!knownPeer(ctx, conn.remotePeer, 'members') && !ctx.db.hasRequest(peer, ctx.now()))
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    const req = await wire.receive(MSG.fetch)
    const vault = ctx.db.requireVault(req['vault_id'] as Uint8Array)
    const what = req['what'] as number
    // a recoverer with a live request may read heads, manifests and (encrypted) chunks
    const recoverer = what <= 3 && ctx.db.hasRequest(peer, ctx.now(), vault.vaultId)
    if (!recoverer) authorize(ctx.roster(vault), conn.remotePeer, 'members')
    let data: Uint8Array | undefined
    if (what === 1) data = vault.head ?? undefined
    else if (what === 2 && req['version'] !== undefined)
      data = ctx.db.manifest(vault.vaultId, req['version'] as number)
    else if (what === 3 && req['chunk_id'] !== undefined)
      data = ctx.db.chunk(vault.vaultId, req['chunk_id'] as Uint8Array)
    else if (what === 4) {
      const e = ctx.db.evidence(vault.vaultId)[0]
      if (e !== undefined) data = encodeRecordBody(MSG.evidence, e)
    } else if (what === 5) {
      ctx.db.expireRequests(ctx.now())
      const open = ctx.db.requests({ vaultId: vault.vaultId, open: true })
      data = encodeRecordBody(MSG.requests, {
        requests: open.map((r) => {
          const item = new Uint8Array(16)
          item.set(r.requestId, 0)
          new DataView(item.buffer).setBigUint64(8, BigInt(r.createdAt))
          return item
        }),
      })
    }
    if (data === undefined) throw new NotHeldError()
    await wire.send(MSG.fetched, { data })
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
