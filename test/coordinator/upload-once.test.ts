/**
 * Upload once, striped (in-process, 5 real guardians on 127.0.0.1, real SQLite): a version with new
 * bytes is offered to every guardian at once; each takes its own stripe of the chunks from the node and
 * the others' from their owners, as they arrive there. The node's uplink carries each new byte about
 * once, no guardian takes it all from the node (so none has to pass on n - 1 copies), and the version
 * still commits at W durable receipts. Fellows that lie (say they hold nothing, or serve bytes that do
 * not hash to the chunk id) or are away cost only time: the node sends what they did not give, and
 * nothing wrong is stored.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import type { GuardianContext } from '../../src/guardian/context.js'
import { NotHeldError } from '../../src/guardian/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { verifyChunkId } from '../../src/replica/chunk.js'
import { openManifest } from '../../src/replica/manifest.js'
import { setDurations } from '../../src/time/durations.js'
import { kithJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
const MiB = 1024 * 1024

/**
 * Make `g` a lying fellow: its fetch answers every chunk with NOT_HELD (`not-held`), or, as soon as it
 * has the chunk (on its way in, as an honest owner answers, or on disk), with random bytes of the
 * chunk's size (`wrong-bytes`). Its pushes are still taken honestly. Undone by restarting it.
 */
async function lieOnFetch(g: LocalGuardian, how: 'not-held' | 'wrong-bytes'): Promise<void> {
  const node = g.guardian.node
  const ctx = (g.guardian as unknown as { ctx: GuardianContext }).ctx
  await node.unhandle([PROTOCOLS.fetchSession, PROTOCOLS.fetch])
  const serve = async (s: Stream) => {
    const wire = new Wire(s, s.protocol, MSG.fetch.maxBytes)
    try {
      for (;;) {
        const req = await wire.receiveNext(MSG.fetch, 30_000)
        if (req === undefined) return
        if (how === 'not-held' || req.chunkId === undefined) {
          await wire.tell(new NotHeldError())
          continue
        }
        const got = ctx.arrivals.chunk(req.vaultId, req.chunkId)
        const data =
          (got instanceof Promise ? await got : got) ?? g.guardian.db.versions.chunk(req.vaultId, req.chunkId)
        if (data === undefined) await wire.tell(new NotHeldError())
        else await wire.send(MSG.fetched, { data: new Uint8Array(randomBytes(data.length)) })
      }
    } catch {
      s.abort(new Error('liar done'))
    }
  }
  await node.handle([PROTOCOLS.fetchSession, PROTOCOLS.fetch], (s) => void serve(s), {
    maxInboundStreams: 32,
    runOnLimitedConnection: true,
  })
}

/** Bytes of chunks the node sent each guardian for `version`, from its log. */
async function sentTo(dir: string, version: number): Promise<number[]> {
  const log = await readFile(join(dir, 'kith.log'), 'utf8')
  return log
    .split('\n')
    .filter((l) => l.includes('"event":"pushed"'))
    .map((l) => JSON.parse(l) as { version: number; bytes: number })
    .filter((e) => e.version === version)
    .map((e) => e.bytes)
}

describe('upload once, striped: 5 guardians, W = 4', () => {
  let made: Awaited<ReturnType<typeof localVault>>
  let file: string
  let restore: (() => void) | undefined
  afterEach(() => {
    restore?.()
    restore = undefined
  })
  const replace = async (bytes: number) => {
    await writeFile(`${file}.tmp`, randomBytes(bytes))
    await rename(`${file}.tmp`, file)
  }
  const backup = async () => (await kithJson(...made.v('backup')))['pushed'] as Record<string, unknown>

  it('a new version of 8 MiB: the node sends about 1x its bytes, spread over the guardians, and it commits', async () => {
    made = await localVault(5, 3, 4, fleet, { log: true })
    file = join(made.work, 'hsm_secret')
    await replace(8 * MiB)
    await kithJson(...made.v('add-source', 'file', file, '--name', 'seed'))
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 1, committed: true, receipts: 5 })
    const sent = pushed['sentBytes'] as number
    expect(sent).toBeGreaterThanOrEqual(8 * MiB)
    expect(sent).toBeLessThanOrEqual(1.2 * 8 * MiB)
    // striped: several guardians took a share from the node, none took it all
    const shares = await sentTo(made.dir, 1)
    expect(shares.filter((b) => b > 0).length).toBeGreaterThanOrEqual(3)
    expect(Math.max(...shares)).toBeLessThan(0.6 * 8 * MiB)
    // every guardian holds the version, with the same chunks
    for (const g of made.gs) expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(1)
  })

  it('a small change goes to every guardian at once (latency before uplink)', async () => {
    await replace(1000)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 2, committed: true, receipts: 5 })
    expect(pushed['sentBytes'] as number).toBeLessThan(64 * 1024)
  })

  it('a fellow that says it holds nothing costs time, not the version: the node sends its stripe', async () => {
    // not much lower: 1 s on a busy machine gave up on honest owners too (16 MiB sent, not about 7)
    restore = setDurations({ stripeStall: 3000, stripeRetry: 50 })
    await lieOnFetch(made.gs[0]!, 'not-held')
    await replace(4 * MiB)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 3, committed: true, receipts: 5 })
    // its stripe went to each of the 4 others as well, and nothing more
    // (about 4 MiB x (1 + 4/5) for even stripes; but 4 MiB is only about 4 chunks of ~1 MiB, so its
    // stripe is read, not assumed: what the node sent it, its fellows having given it theirs)
    const sent = pushed['sentBytes'] as number
    const stripe = Math.min(...(await sentTo(made.dir, 3)))
    expect(sent).toBeGreaterThan(4 * MiB)
    expect(sent).toBeLessThanOrEqual(1.2 * (4 * MiB + 4 * stripe))
    expect(stripe).toBeLessThan(4 * MiB)
    for (const g of made.gs) expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(3)
    await made.gs[0]!.stop()
    await made.gs[0]!.start()
  })

  it('fellows that send wrong bytes cost uplink, never integrity: the node sends what they could not', async () => {
    restore = setDurations({ stripeStall: 1000, stripeRetry: 50 })
    for (const g of made.gs) await lieOnFetch(g, 'wrong-bytes')
    await replace(2 * MiB)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 4, committed: true, receipts: 5 })
    // no fellow's chunk was taken: each guardian got every chunk from the node
    expect(pushed['sentBytes'] as number).toBeGreaterThan(4 * 2 * MiB)
    let dropped = 0
    for (const g of made.gs) {
      expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(4)
      // what is stored hashes to its id: every chunk the version lists is the node's
      const vaultId = g.guardian.db.vaults.all()[0]!.vaultId
      const manifest = openManifest(g.guardian.db.versions.manifest(vaultId, 4)!)
      for (const c of manifest.chunks) {
        const data = g.guardian.db.versions.chunk(vaultId, c.id)
        expect(data).toBeDefined()
        expect(() => verifyChunkId(c.id, data!)).not.toThrow()
      }
      // and the liars were asked, answered, and dropped for it
      const log = await readFile(join(g.dir, 'kith.log'), 'utf8')
      dropped += log.split('\n').filter((l) => l.includes('"event":"stripe-fellow-dropped"')).length
    }
    expect(dropped).toBeGreaterThan(0)
    for (const g of made.gs) {
      await g.stop()
      await g.start()
    }
  })

  it('a guardian that is away: the rest commit at W without it', async () => {
    await made.gs[4]!.stop()
    await replace(1 * MiB)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 5, committed: true, receipts: 4 })
    await made.gs[4]!.start()
  })
})
