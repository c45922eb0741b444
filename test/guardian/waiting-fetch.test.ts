/**
 * A fetch for a chunk still on its way in (a striped push: guardian/arrivals.ts) waits on the serving
 * side, but never for longer than its asker does: an asker that leaves (its fetch aborted, its stream
 * reset) ends the handler, its stream and its memory lease at once; one that stays is told NOT_HELD
 * after relayStep (scaled down here). In-process guardians on 127.0.0.1; the intake that never brings
 * the chunk is registered by hand.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../src/crypto/bytes.js'
import type { GuardianContext } from '../../src/guardian/context.js'
import { FetchSessions } from '../../src/p2p/fetch-session.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS } from '../../src/p2p/wire.js'
import { setDurations } from '../../src/time/durations.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()

/** The guardian's context (private to the daemon): its arrivals and memory budget. */
const contextOf = (g: LocalGuardian) => (g.guardian as unknown as { ctx: GuardianContext }).ctx

/** Fetch streams `g` serves now. */
const fetchStreams = (g: LocalGuardian) =>
  g.guardian.node
    .getConnections()
    .flatMap((c) => c.streams)
    .filter((s) => s.protocol === PROTOCOLS.fetchSession || s.protocol === PROTOCOLS.fetch).length

describe('a fetch waiting for a chunk on its way in', () => {
  let made: Awaited<ReturnType<typeof localVault>>
  let restore: (() => void) | undefined
  afterEach(() => {
    restore?.()
    restore = undefined
  })

  /** Guardian 0 expects a chunk that never comes; guardian 1 (a member) asks it for that chunk. */
  const ask = async (signal?: AbortSignal) => {
    made ??= await localVault(3, 2, 2, fleet)
    const [g0, g1] = made.gs as [LocalGuardian, LocalGuardian]
    const ctx = contextOf(g0)
    const vaultId = g0.guardian.db.vaults.all()[0]!.vaultId
    const chunkId = new Uint8Array(randomBytes(32))
    const remove = ctx.arrivals.add(vaultId, {
      version: 99,
      batched: () => undefined,
      expects: (hex) => hex === toHex(chunkId),
    })
    const held = ctx.memory.held()
    const sessions = new FetchSessions(g1.guardian.node, 60_000)
    const peer = { peerId: peerIdBytes(g0.guardian.node.peerId), addrs: g0.guardian.addrs }
    const asked = sessions.fetch(peer, vaultId, { what: 'chunk', id: chunkId }, signal)
    await vi.waitFor(() => expect(ctx.arrivals.waiters(vaultId)).toBe(1), { timeout: 10_000 })
    return { g0, ctx, vaultId, held, asked, sessions, remove }
  }

  it('an asker that leaves: the handler, its stream and its memory lease are gone', async () => {
    const leave = new AbortController()
    const { g0, ctx, vaultId, held, asked, sessions, remove } = await ask(leave.signal)
    expect(fetchStreams(g0)).toBeGreaterThan(0)
    leave.abort()
    await expect(asked).rejects.toThrow()
    // the intake is still open and still expects the chunk: only the asker's leaving ends the wait
    await vi.waitFor(
      () => {
        expect(ctx.arrivals.waiters(vaultId)).toBe(0)
        expect(fetchStreams(g0)).toBe(0)
        expect(ctx.memory.held()).toBeLessThanOrEqual(held)
      },
      { timeout: 5_000, interval: 50 },
    )
    remove()
    await sessions.close()
  })

  it('an asker that stays is told NOT_HELD after relayStep, and the wait is gone', async () => {
    restore = setDurations({ relayStep: 1_000 })
    const { ctx, vaultId, asked, sessions, remove } = await ask()
    await expect(asked).rejects.toMatchObject({ remoteCode: 'NOT_HELD' })
    expect(ctx.arrivals.waiters(vaultId)).toBe(0)
    remove()
    await sessions.close()
  })
})
