/**
 * The guardian's side of recovery (docs/recovery.md, docs/format.md §Recovery):
 * - `/kith/recover/1.0.0`: a stranger asks for a vault's share with a one-time recovery key. The request
 *   is recorded and waits for this guardian's human; the recoverer polls. Once approved and past the
 *   vault's release delay, the share envelope goes out sealed to the recovery key, exactly once.
 * - `/kith/veto/1.0.0`: the vault's live coordinator vetoes a request with a vault-signed veto. A veto
 *   stops release until the human overrides it (`approve --override-veto`), so a stolen vault key can
 *   delay recovery but never block it: the friend who talked to the operator decides.
 * - approve / deny: what `kith guardian approve|deny` do, on the same store, from another process.
 */
import type { Connection, Stream } from '@libp2p/interface'
import * as secp from '@noble/secp256k1'
import { toHex } from '../crypto/bytes.js'
import { InvalidPublicKeyError } from '../crypto/errors.js'
import { sha256 } from '../crypto/hash.js'
import { MSG, REQUEST_STATE } from '../p2p/messages.js'
import { peerIdBytes } from '../p2p/peers.js'
import { PROTOCOLS, Wire } from '../p2p/wire.js'
import { chunkProof, shareProof } from '../shares/drill.js'
import { openVeto, recoveryRequestId, sealRelease, verificationCode } from '../shares/release.js'
import { type GuardianContext, shortId } from './context.js'
import { RecoveryPendingError, RequestClosedError, UnknownRequestError, WrongCodeError } from './errors.js'
import { refuse } from './handlers.js'
import { authorize } from './ingest.js'
import type { GuardianStore, RecoveryRequestRow } from './store.js'

function _checkKey(key: Uint8Array): void {
  try {
    secp.Point.fromBytes(key)
  } catch {
    throw new InvalidPublicKeyError('recovery key')
  }
}

export async function onRecover(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.recover, MSG.recover.maxBytes)
  try {
    const req = await wire.receive(MSG.recover)
    const vaultId = req['vault_id'] as Uint8Array
    const key = req['recovery_key'] as Uint8Array
    _checkKey(key)
    await ctx.exclusive(vaultId, async () => {
      const vault = ctx.db.requireVault(vaultId)
      const now = ctx.now()
      ctx.db.expireRequests(now)
      const id = recoveryRequestId(vaultId, key)
      let r = ctx.db.request(vaultId, id)
      if (r === undefined) {
        const code = verificationCode(vaultId, key, peerIdBytes(ctx.node.peerId))
        const added = ctx.db.addRequest(
          {
            vaultId,
            requestId: id,
            recoveryKey: key,
            requester: peerIdBytes(conn.remotePeer),
            code,
            createdAt: now,
            expiresAt: now + vault.requestTtl,
          },
          now,
        )
        if (!added) throw new RecoveryPendingError()
        ctx.log.info({ event: 'recovery-requested', vault: shortId(vaultId), request: toHex(id) })
        ctx.say(
          `RECOVERY REQUEST ${toHex(id)} for vault "${vault.label}". Call your friend on a number you know, compare the code, then: kith guardian approve ${toHex(id)} --code <code>`,
        )
        r = ctx.db.request(vaultId, id)!
      }
      let sealed: Uint8Array | undefined
      if (r.state === 'approved' && (r.releaseAt ?? 0) <= now) {
        const envelope = ctx.db.currentShare(vaultId)
        const box = envelope && sealRelease(key, id, envelope)
        // durable before it leaves: a request never gets its share twice, even across a crash
        if (box !== undefined && ctx.db.markReleased(vaultId, id, now)) {
          sealed = box
          ctx.log.info({ event: 'share-released', vault: shortId(vaultId), request: toHex(id) })
          ctx.say(`released the share of vault "${vault.label}" to request ${toHex(id)}`)
        }
        r = ctx.db.request(vaultId, id)!
      }
      await wire.send(MSG.recovery, {
        request_id: id,
        state: REQUEST_STATE[r.state],
        release_at: r.state === 'approved' ? (r.releaseAt ?? undefined) : undefined,
        roster: vault.roster,
        sealed_share: sealed,
      })
      await stream.close()
    })
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

export async function onVeto(ctx: GuardianContext, stream: Stream): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.veto, MSG.veto.maxBytes)
  try {
    const veto = openVeto((await wire.receive(MSG.veto))['veto'] as Uint8Array)
    await ctx.exclusive(veto.vaultId, async () => {
      const vault = ctx.db.requireVault(veto.vaultId)
      const r = ctx.db.request(veto.vaultId, veto.requestId)
      if (r === undefined) throw new UnknownRequestError(toHex(veto.requestId))
      if (r.state === 'pending' || r.state === 'approved') {
        ctx.db.veto(veto.vaultId, veto.requestId, veto.bytes, ctx.now())
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

/** The one request whose id starts with `idPrefix` (hex, at least 4 characters). */
export function findRequest(db: GuardianStore, idPrefix: string): RecoveryRequestRow {
  const want = idPrefix.toLowerCase()
  const matches = want.length >= 4 ? db.requests().filter((r) => toHex(r.requestId).startsWith(want)) : []
  if (matches.length !== 1) throw new UnknownRequestError(idPrefix)
  return matches[0]!
}

/**
 * A human approves: only with the request's code, only while it waits (a vetoed one only with
 * `overrideVeto`). The approval is durable before anything can be released; release follows after the
 * vault's delay, when the recoverer next polls.
 */
export function approveRequest(
  db: GuardianStore,
  idPrefix: string,
  code: string | undefined,
  options: { overrideVeto?: boolean; now?: number } = {},
): RecoveryRequestRow {
  const now = options.now ?? Date.now()
  db.expireRequests(now)
  const r = findRequest(db, idPrefix)
  const open = r.state === 'pending' || (r.state === 'vetoed' && options.overrideVeto === true)
  if (!open) throw new RequestClosedError(r.state)
  if (code === undefined || code !== r.code) {
    db.event(r.vaultId, 'recovery-wrong-code', { request: toHex(r.requestId) }, now)
    throw new WrongCodeError()
  }
  const vault = db.requireVault(r.vaultId)
  // no delay: releasable at once, whatever the daemon's clock says (it may differ from this process's)
  db.decide(r.vaultId, r.requestId, true, vault.releaseDelay > 0 ? now + vault.releaseDelay : 0, now)
  return db.request(r.vaultId, r.requestId)!
}

export function denyRequest(db: GuardianStore, idPrefix: string, now = Date.now()): RecoveryRequestRow {
  const r = findRequest(db, idPrefix)
  if (r.state !== 'pending' && r.state !== 'approved' && r.state !== 'vetoed')
    throw new RequestClosedError(r.state)
  db.decide(r.vaultId, r.requestId, false, 0, now)
  return db.request(r.vaultId, r.requestId)!
}

/** A drill from the vault's coordinator: prove the share and the chunks it names (shares/drill.ts). */
export async function onDrill(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.drill, MSG.drill.maxBytes)
  try {
    const req = await wire.receive(MSG.drill)
    const vault = ctx.db.requireVault(req['vault_id'] as Uint8Array)
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    const nonce = req['nonce'] as Uint8Array
    const envelope = ctx.db.currentShare(vault.vaultId)
    const zero = new Uint8Array(32)
    await wire.send(MSG.drilled, {
      share_proof: envelope ? shareProof(sha256(envelope), nonce) : zero,
      chunk_proofs: (req['chunks'] as Uint8Array[]).map((id) => {
        const data = ctx.db.chunk(vault.vaultId, id)
        return data ? chunkProof(nonce, data) : zero
      }),
      head: vault.head ?? undefined,
    })
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}
