/**
 * Upload once: a push offer may name fellow guardians that already hold the version. The guardian takes
 * the chunks it lacks from them first (a few fetches at a time, spread over them, on one fetch session
 * per fellow) and asks the coordinator only for what they could not give, so a home uplink carries each
 * new byte about once.
 * Every chunk is verified against its id and the signed manifest's size, whoever sent it: a fellow that
 * lies or is away only costs time, and the coordinator still sends what is missing.
 */
import { equalBytes } from '../crypto/bytes.js'
import { isRemote } from '../p2p/errors.js'
import { FetchSessions } from '../p2p/fetch-session.js'
import { samePeer } from '../p2p/peers.js'
import { duration } from '../time/durations.js'
import type { GuardianContext } from './context.js'
import type { VaultRow } from './store/index.js'
import type { VersionIntake } from './versions.js'

/** Fetches from fellows in flight at once. */
const PARALLEL = 4

/** Take what `intake` still needs from the named fellows; returns the bytes they gave. */
export async function takeFromFellows(
  ctx: GuardianContext,
  vault: VaultRow,
  intake: VersionIntake,
  sources: readonly Uint8Array[],
  signal?: AbortSignal,
): Promise<number> {
  const guardians = ctx.roster(vault).guardians
  const fellows = guardians.filter(
    (g) => !samePeer(ctx.node.peerId, g.peerId) && sources.some((s) => equalBytes(s, g.peerId)),
  )
  const ids = intake.needed()
  if (fellows.length === 0 || ids.length === 0) return 0
  // all of it, a little under what the coordinator waits: after this, the coordinator sends the rest
  // (a relay step shortened below the headroom leaves half of it to the fellows, never nothing)
  const step = duration('relayStep')
  const overall = AbortSignal.timeout(Math.max(step / 2, step - duration('relayHeadroom')))
  const deadline = signal ? AbortSignal.any([signal, overall]) : overall
  const away = new Set<number>()
  let next = 0
  let taken = 0
  const sessions = new FetchSessions(ctx.node, duration('fellowChunk'), ctx.p2pLog)
  const worker = async () => {
    while (next < ids.length && !deadline.aborted && away.size < fellows.length) {
      const i = next++
      const id = ids[i]!
      for (let k = 0; k < fellows.length; k++) {
        const f = (i + k) % fellows.length
        if (away.has(f)) continue
        try {
          const data = await sessions.fetch(fellows[f]!, vault.vaultId, { what: 'chunk', id }, deadline)
          intake.accept(id, data)
          taken += data.length
          break
        } catch (err) {
          // a fellow that does not hold it may hold the next one; one that is away or lies is not asked again
          if (!isRemote(err) || err.remoteCode !== 'NOT_HELD') away.add(f)
        }
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, worker))
  } finally {
    await sessions.close()
  }
  return taken
}
