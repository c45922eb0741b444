/**
 * `/kith/fetch/1.0.0` and its session `/kith/fetch/2.0.0`: heads, manifests, chunks, equivocation
 * evidence and open recovery requests, for the vault's coordinator and guardians. A recoverer with a
 * live request for the vault may read its signed head (freshness needs more answers than approvals);
 * manifests and (encrypted) chunks only once this guardian's human approved its request. A coordinator
 * a newer roster fenced out is told FENCED, and may read that roster: the vault-signed proof that it
 * must stop.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { encodeRecordBody } from '../../codec/record.js'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { type MessageOf, MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire, whileOpen } from '../../p2p/wire.js'
import { duration } from '../../time/durations.js'
import { allowed, knownPeer } from '../access.js'
import { addressRecords } from '../addresses.js'
import type { GuardianContext } from '../context.js'
import { FencedError, NotHeldError } from '../errors.js'
import { heardAgo, noteHeard } from '../heard.js'
import type { VaultRow } from '../store/index.js'
import { refuse } from './refuse.js'

type FetchRequest = MessageOf<'fetch'>

/**
 * About how many bytes of journal entries one reply carries (always at least one entry). A recovering
 * machine asks as a stranger, and all strangers' replies share 4 MiB here (limits.ts
 * STRANGER_READ_BUDGET): a reply of 4 MiB was refused GUARDIAN_BUSY, and the journal could not be had.
 */
const ENTRIES_REPLY_BYTES = 1024 * 1024

/** What to answer a fetch with, or undefined when it is not held. */
function _answer(ctx: GuardianContext, vault: VaultRow, req: FetchRequest): Uint8Array | undefined {
  switch (req.what) {
    case 'head':
      return vault.head ?? undefined
    case 'manifest':
      return req.version === undefined ? undefined : ctx.db.versions.manifest(vault.vaultId, req.version)
    case 'chunk':
      return req.chunkId === undefined ? undefined : ctx.db.versions.chunk(vault.vaultId, req.chunkId)
    case 'evidence': {
      // evidence the owner's chain choice settled is kept, not reported (§Chain choice)
      const e = vault.equivocation ? ctx.db.versions.evidence(vault.vaultId)[0] : undefined
      return e === undefined ? undefined : encodeRecordBody(MSG.evidence, e)
    }
    case 'freshness':
      return encodeRecordBody(MSG.freshness, {
        ...(vault.head !== null ? { held: vault.head } : {}),
        ...(vault.seenHead !== null && vault.seenVersion > vault.headVersion ? { seen: vault.seenHead } : {}),
        ...(vault.certificate !== null ? { certificate: vault.certificate } : {}),
        ...heardAgo(ctx.now(), vault),
      })
    case 'roster':
      return vault.roster
    case 'addresses':
      return undefined // answered by onFetch (async)
    case 'journalHead': {
      const j = req.journal === undefined ? undefined : ctx.db.journals.get(vault.vaultId, req.journal)
      if (j === undefined || req.journal === undefined) return undefined
      const newest = ctx.db.journals.newest(vault.vaultId, req.journal)
      return encodeRecordBody(MSG.journalEntries, {
        certificate: j.certificate,
        entries: newest === undefined ? [] : [{ entry: newest }],
      })
    }
    case 'entries': {
      if (req.journal === undefined || req.version === undefined) return undefined
      const run = ctx.db.journals.entries(vault.vaultId, req.journal, req.version, ENTRIES_REPLY_BYTES)
      return encodeRecordBody(MSG.journalEntries, { entries: run.map((entry) => ({ entry })) })
    }
    case 'requests': {
      ctx.db.requests.expire(ctx.now())
      const open = ctx.db.requests.list({ vaultId: vault.vaultId, open: true })
      // and those that got the vault back lately: the owner learns of a recovery it did not make
      const recovered = ctx.db.requests.recovered(vault.vaultId, ctx.now() - duration('recentRecovery'))
      return encodeRecordBody(MSG.requests, {
        requests: open,
        ...(recovered.length > 0 ? { recovered } : {}),
      })
    }
  }
}

/**
 * A chunk not on disk that an open intake is receiving now (a striped push: its fellows ask for it as
 * it comes, docs/format.md §Protocol messages): answered once it is here, NOT_HELD once no open intake
 * expects it, or after relayStep (the longest an asker waits for one chunk). An asker that leaves (its
 * stream closes or is reset) is waited for no longer: the handler, its stream and memory lease end.
 */
async function _arriving(
  ctx: GuardianContext,
  vault: VaultRow,
  req: FetchRequest,
  stream: Stream,
): Promise<Uint8Array | undefined> {
  if (req.what !== 'chunk' || req.chunkId === undefined) return undefined
  const open = whileOpen(stream)
  const capped = new AbortController()
  const cap = setTimeout(() => capped.abort(), duration('relayStep'))
  try {
    return await ctx.arrivals.chunk(vault.vaultId, req.chunkId, AbortSignal.any([open.signal, capped.signal]))
  } finally {
    clearTimeout(cap)
    open.release()
  }
}

/** What a recoverer (not on the roster) may read: the head with a live request; data once approved. */
function _recovererMayRead(
  ctx: GuardianContext,
  peer: Uint8Array,
  vault: VaultRow,
  req: FetchRequest,
): boolean {
  const now = ctx.now()
  if (req.what === 'head' || req.what === 'freshness' || req.what === 'journalHead')
    return ctx.db.requests.hasRequest(peer, now, { vaultId: vault.vaultId })
  if (req.what === 'manifest' || req.what === 'chunk' || req.what === 'entries')
    return ctx.db.requests.hasRequest(peer, now, { vaultId: vault.vaultId, approved: true })
  return false
}

/**
 * `/kith/fetch/1.0.0` answers one request; `/kith/fetch/2.0.0` answers requests one after another on
 * the same stream, in the order they came, until the peer closes its end or stays quiet. Every request
 * is checked on its own (a veto or an expiry takes effect mid-session). NOT_HELD answers one request
 * and the session goes on; any other refusal ends it.
 */
export async function onFetch(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const session = stream.protocol === PROTOCOLS.fetchSession
  const wire = new Wire(stream, stream.protocol || PROTOCOLS.fetch, MSG.fetch.maxBytes)
  try {
    const peer = peerIdBytes(conn.remotePeer)
    if (
      !knownPeer(ctx, conn.remotePeer, 'members') &&
      !ctx.db.requests.hasRequest(peer, ctx.now()) &&
      !ctx.db.vaults.fencedAnywhere(peer)
    )
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    // on a session, "not held" answers that request and the session goes on; any other refusal ends it
    const answer = async (req: FetchRequest): Promise<boolean> => {
      try {
        return await _answerOne(ctx, wire, conn, peer, req)
      } catch (err) {
        if (!session || !(err instanceof NotHeldError)) throw err
        await wire.tell(err)
        return true
      }
    }
    if (!(await answer(await wire.receive(MSG.fetch)))) return
    while (session) {
      const req = await wire.receiveNext(MSG.fetch, duration('fetchSessionIdle'))
      if (req === undefined || !(await answer(req))) return
    }
    await stream.close()
  } catch (err) {
    await refuse(ctx, wire, err)
  }
}

/** Answer one request; false when the stream is done with (a fenced coordinator was given its proof). */
async function _answerOne(
  ctx: GuardianContext,
  wire: Wire,
  conn: Connection,
  peer: Uint8Array,
  req: FetchRequest,
): Promise<boolean> {
  const vault = ctx.db.vaults.require(req.vaultId)
  if (ctx.db.vaults.isFenced(vault.vaultId, peer)) {
    if (req.what !== 'roster') throw new FencedError()
    await wire.send(MSG.fetched, { data: vault.roster })
    await wire.stream.close()
    return false
  }
  // members first (in memory); the database is asked only about recoverers
  if (!allowed(ctx.roster(vault), conn.remotePeer, 'members') && !_recovererMayRead(ctx, peer, vault, req))
    throw new UnauthorizedPeerError(conn.remotePeer.toString())
  // the coordinator's status probes (a running watch) count as hearing from the node
  if (allowed(ctx.roster(vault), conn.remotePeer, 'coordinator')) noteHeard(ctx, vault.vaultId, 'coordinator')
  // where the guardians are now: async (the peer store), and only for members
  const data =
    req.what === 'addresses'
      ? encodeRecordBody(MSG.addresses, {
          records: (await addressRecords(ctx, vault)).map((record) => ({ record })),
        })
      : (_answer(ctx, vault, req) ?? (await _arriving(ctx, vault, req, wire.stream)))
  if (data === undefined) throw new NotHeldError()
  await wire.send(MSG.fetched, { data })
  return true
}
