/**
 * The doors of a guardian: every kith protocol it serves, each stream read and answered within its
 * peer's share of the guardian's memory (guardian/memory.ts; refused with GUARDIAN_BUSY when it has no
 * room), nothing it sends after its handler is done kept, and every connection that opened a kith stream
 * marked, so that a stranger's connection that opens none is closed after a few seconds instead of
 * holding a slot.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { budgetStream, PROTOCOLS, Wire } from '../p2p/wire.js'
import { duration } from '../time/durations.js'
import { knownPeer } from './access.js'
import type { GuardianContext } from './context.js'
import { onCertify } from './handlers/certify.js'
import { onDone } from './handlers/done.js'
import { onDrill } from './handlers/drill.js'
import { onEnroll } from './handlers/enroll.js'
import { onFetch } from './handlers/fetch.js'
import { onJournal } from './handlers/journal.js'
import { onPush } from './handlers/push.js'
import { onRecover } from './handlers/recover.js'
import { onReleaseFile } from './handlers/release-file.js'
import { onRoster } from './handlers/roster.js'
import { onVeto } from './handlers/veto.js'
import type { MemoryLease } from './memory.js'

/** Most concurrent inbound streams per protocol and connection. */
const MAX_INBOUND_STREAMS = 32

type Handler = (ctx: GuardianContext, s: Stream, c: Connection) => Promise<void>

const HANDLERS: readonly [string, Handler][] = [
  [PROTOCOLS.enroll, onEnroll],
  [PROTOCOLS.roster, onRoster],
  [PROTOCOLS.push, onPush],
  [PROTOCOLS.pushOnce, onPush],
  [PROTOCOLS.fetch, onFetch],
  [PROTOCOLS.fetchSession, onFetch],
  [PROTOCOLS.recover, onRecover],
  [PROTOCOLS.veto, onVeto],
  [PROTOCOLS.done, onDone],
  [PROTOCOLS.drill, onDrill],
  [PROTOCOLS.certify, onCertify],
  [PROTOCOLS.journal, onJournal],
  [PROTOCOLS.releaseFile, onReleaseFile],
]

/** Register every protocol; returns the function that stops watching for idle strangers. */
export async function serveProtocols(ctx: GuardianContext): Promise<() => void> {
  const active = new WeakSet<Connection>()
  for (const [protocol, fn] of HANDLERS) {
    await ctx.node.handle(protocol, (s, c) => _serve(ctx, protocol, fn, s, c, active), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      // a guardian behind NAT is reached over relayed connections, which carry limits (p2p/node.ts)
      runOnLimitedConnection: true,
    })
  }
  const timers = new Set<NodeJS.Timeout>()
  const onOpen = (ev: CustomEvent<Connection>) => {
    const c = ev.detail
    if (c.direction !== 'inbound' || knownPeer(ctx, c.remotePeer, 'members')) return
    const t = setTimeout(() => {
      timers.delete(t)
      // a connection that holds a relay reservation here is in use, though it opens no kith stream
      const reserved = ctx.node.services.relay?.reservations.has(c.remotePeer) === true
      if (!active.has(c) && !reserved && c.status === 'open')
        void c.close().catch(() => undefined /* already closing: the slot is free either way */)
    }, duration('idleStranger'))
    timers.add(t)
  }
  ctx.node.addEventListener('connection:open', onOpen)
  return () => {
    ctx.node.removeEventListener('connection:open', onOpen)
    for (const t of timers) clearTimeout(t)
  }
}

async function _serve(
  ctx: GuardianContext,
  protocol: string,
  fn: Handler,
  s: Stream,
  c: Connection,
  active: WeakSet<Connection>,
): Promise<void> {
  active.add(c)
  let lease: MemoryLease
  try {
    // a member's share is its own and its vault's: the vaults whose roster names it
    const vaults = ctx.gossip.naming(c.remotePeer, 'members')
    lease = ctx.memory.streamLease(
      c.remotePeer.toString(),
      vaults.map((roster) => roster.vaultId),
    )
  } catch (err) {
    // no room for one more stream of this peer: refused before a byte of it is read
    await new Wire(s, protocol, 0).sendError(err)
    return
  }
  budgetStream(s, lease)
  try {
    await fn(ctx, s, c)
  } catch (err) {
    // handlers answer every refusal themselves; what escapes is a stream already broken
    ctx.log.debug({
      event: 'handler-failed',
      protocol,
      reason: err instanceof Error ? err.message : String(err),
    })
    s.abort(new Error('handler failed'))
  } finally {
    _readNoMore(s)
    lease.end()
  }
}

/** The handler is done: what the peer still sends is dropped as it arrives, never buffered. */
function _readNoMore(s: Stream): void {
  if (s.readStatus === 'readable' || s.readStatus === 'paused')
    void s.closeRead().catch(() => undefined /* gone already: nothing to drop */)
}
