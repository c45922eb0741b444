/**
 * Attack: a fellow in a striped push sends its stripe one correct chunk at a time, each a little before
 * the others' stall check would fire (docs/threat-model.md, "Serves garbage or old data"). Every chunk
 * it sends is good, so nothing drops it for lying, and chunks keep coming, so the stall check never
 * fires; before, its fellows waited for its whole stripe, past the coordinator's deadline, and the
 * version reached no write quorum. Now, once a guardian's own stripe is in, the others' get as long
 * again (at least stripeStall): then the coordinator sends what is left, and the version commits well
 * within the deadline the trickle alone would have outlasted. In-process, 5 guardians on 127.0.0.1,
 * durations scaled down.
 */
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import type { GuardianContext } from '../../src/guardian/context.js'
import { NotHeldError } from '../../src/guardian/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { setDurations } from '../../src/time/durations.js'
import { kithJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
const MiB = 1024 * 1024
/** The others' stall check (scaled down), and the trickle: one chunk to each asker this often. */
const STALL_MS = 9_000
const GAP_MS = 7_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The chunk as `g` has it: on its way in (its own push), or on disk. */
async function chunkOf(
  g: LocalGuardian,
  vaultId: Uint8Array,
  id: Uint8Array,
): Promise<Uint8Array | undefined> {
  const ctx = (g.guardian as unknown as { ctx: GuardianContext }).ctx
  const got = ctx.arrivals.chunk(vaultId, id)
  return (got instanceof Promise ? await got : got) ?? g.guardian.db.versions.chunk(vaultId, id)
}

/** Make `g` trickle: each asker gets the right bytes, one chunk every GAP_MS. Undone by restarting it. */
async function trickle(g: LocalGuardian): Promise<void> {
  const node = g.guardian.node
  await node.unhandle([PROTOCOLS.fetchSession, PROTOCOLS.fetch])
  const serve = async (s: Stream) => {
    const wire = new Wire(s, s.protocol, MSG.fetch.maxBytes)
    let last = 0
    try {
      for (;;) {
        const req = await wire.receiveNext(MSG.fetch, 60_000)
        if (req === undefined) return
        const data = req.chunkId === undefined ? undefined : await chunkOf(g, req.vaultId, req.chunkId)
        if (data === undefined) {
          await wire.tell(new NotHeldError())
          continue
        }
        await sleep(last + GAP_MS - Date.now())
        last = Date.now()
        await wire.send(MSG.fetched, { data })
      }
    } catch {
      s.abort(new Error('trickler done'))
    }
  }
  await node.handle([PROTOCOLS.fetchSession, PROTOCOLS.fetch], (s) => void serve(s), {
    maxInboundStreams: 32,
    runOnLimitedConnection: true,
  })
}

/** A 3-of-5 vault (W = 4) with one small file source, backed up once: version 1 everywhere. */
async function backedUpVault() {
  const made = await localVault(5, 3, 4, fleet)
  const file = join(made.work, 'hsm_secret')
  await writeFile(file, randomBytes(1000))
  await kithJson(...made.v('add-source', 'file', file, '--name', 'seed'))
  await kithJson(...made.v('backup'))
  return { made, file }
}

/** The source grows to 40 MiB of new bytes (replaced whole): version 2 is a striped push. */
async function grow(file: string): Promise<void> {
  await writeFile(`${file}.tmp`, randomBytes(40 * MiB))
  await rename(`${file}.tmp`, file)
}

describe('a fellow that trickles its stripe', () => {
  let restore: (() => void) | undefined
  afterEach(() => {
    restore?.()
    restore = undefined
  })

  it('cannot keep a striped push from committing: the others stop waiting for it, the node sends the rest', async () => {
    const { made, file } = await backedUpVault()
    restore = setDurations({ stripeStall: STALL_MS, stripeRetry: 50 })
    await trickle(made.gs[0]!)
    // about 8 chunks in the trickler's stripe: about 8 x GAP_MS (56 s) to give them all, past the deadline
    await grow(file)
    const pushed = (await kithJson(...made.v('backup', '--timeout', '35s')))['pushed'] as Record<
      string,
      unknown
    >
    expect(pushed).toMatchObject({ version: 2, committed: true })
    expect(pushed['receipts'] as number).toBeGreaterThanOrEqual(4)
    for (const g of made.gs.slice(1)) expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(2)
  })

  it('a push its coordinator gave up on is not waited for: the vault is free again at once', async () => {
    const { made, file } = await backedUpVault()
    // no stall check and a long wait for the others' stripes: only the coordinator's leaving ends it
    restore = setDurations({ stripeStall: 120_000, stripeRetry: 50 })
    await trickle(made.gs[0]!)
    await grow(file)
    await expect(kithJson(...made.v('backup', '--timeout', '8s'))).rejects.toThrow(/QUORUM_NOT_REACHED/)
    // the trickle alone would hold each fellow's push (and its vault's lock) for about 8 x GAP_MS more
    for (const g of made.gs.slice(1)) {
      const ctx = (g.guardian as unknown as { ctx: GuardianContext }).ctx
      const vaultId = g.guardian.db.vaults.all()[0]!.vaultId
      const free = ctx.exclusive(vaultId, async () => 'free')
      expect(await Promise.race([free, sleep(3 * GAP_MS).then(() => 'held')])).toBe('free')
    }
  })
})
