/**
 * A lying guardian is named, wherever its answer is dropped (in-process: three guardians on 127.0.0.1,
 * real SQLite, the CLI; a guardian made to lie by patching what its store hands out). The coordinator
 * logs a `bad-answer` naming the guardian and what failed: a FENCED refusal without the newer roster, a
 * forged head to a status probe, an address record its guardian never signed. A recovery says a
 * `bad-guardian` event (and logs it) for a forged head, a certificate that proves nothing and a share
 * that does not verify, and restores from the honest answers.
 */
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Guardian } from '../../src/guardian/service.js'
import { cli, kithJson, RecoverRun, statusJson } from '../helpers/cli.js'
import { jsonLines } from '../helpers/files.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()

/** `bytes` with its last byte flipped: a signature that no longer verifies. */
const flipped = (bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(bytes)
  out[out.length - 1]! ^= 1
  return out
}

/** Make `g` hand out its vault row with `change` applied, until the returned function undoes it. */
function lieAbout(
  g: Guardian,
  change: (row: NonNullable<ReturnType<Guardian['db']['vaults']['get']>>) => object,
) {
  const vaults = g.db.vaults
  const get = vaults.get
  vaults.get = (id) => {
    const row = get.call(vaults, id)
    return row === undefined ? row : { ...row, ...change(row) }
  }
  return () => {
    vaults.get = get
  }
}

describe('a lying guardian is named', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let vault: string
  let v: (...args: string[]) => string[]
  let replace: (size: number) => Promise<void>
  const badAnswers = async () =>
    (await jsonLines(join(dir, 'kith.log'))).filter((l) => l['event'] === 'bad-answer')

  beforeAll(async () => {
    ;({ gs, work, dir, vault, v, replace } = await backedUpVault(3, 2, 2, fleet))
  })

  it('the coordinator logs a FENCED refusal that comes without the newer roster, naming the guardian', async () => {
    const db = gs[0]!.guardian.db
    db.vaults.isFenced = () => true
    db.vaults.fencedAnywhere = () => true
    try {
      await replace(3300)
      expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    } finally {
      delete (db.vaults as Partial<typeof db.vaults>).isFenced
      delete (db.vaults as Partial<typeof db.vaults>).fencedAnywhere
    }
    expect(await badAnswers()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        module: 'coordinator',
        guardian: 'friend 0',
        peer: gs[0]!.peerId,
        what: 'a refusal as fenced',
        code: 'FENCED',
      }),
    )
  })

  it("the coordinator logs a receipt that is not the guardian's own signature; the version commits at the others", async () => {
    // the guardian's context, where its receipts are signed: each signature comes out with a bit flipped
    const ctx: unknown = Reflect.get(gs[1]!.guardian, 'ctx')
    const sign = Reflect.get(ctx as object, 'sign') as (d: Uint8Array) => Uint8Array
    Object.defineProperty(ctx, 'sign', { value: (d: Uint8Array) => flipped(sign(d)), configurable: true })
    try {
      await replace(3350)
      const r = await cli(...v('backup'), '--json')
      expect(JSON.parse(r.stdout)['pushed']).toMatchObject({ receipts: 2, committed: true })
    } finally {
      Object.defineProperty(ctx, 'sign', { value: sign, configurable: true })
    }
    expect(await badAnswers()).toContainEqual(
      expect.objectContaining({
        guardian: 'friend 1',
        what: expect.stringMatching(/^its answer to the push of version \d+$/),
        code: 'BAD_SIGNATURE',
      }),
    )
  })

  it('the coordinator logs a forged head a status probe got', async () => {
    const undo = lieAbout(gs[1]!.guardian, (row) => ({ head: row.head && flipped(row.head) }))
    try {
      await statusJson(...v('status'))
    } finally {
      undo()
    }
    expect(await badAnswers()).toContainEqual(
      expect.objectContaining({
        guardian: 'friend 1',
        code: 'BAD_SIGNATURE',
        what: expect.stringMatching(/head/),
      }),
    )
  })

  it('the coordinator logs an address record that its guardian never signed', async () => {
    const away = gs[2]!
    const awayId = away.peerId
    await away.stop()
    const store = gs[0]!.guardian.node.peerStore
    const get = store.get.bind(store)
    store.get = async (id, ...rest) => {
      const peer = await get(id, ...rest)
      return id.toString() === awayId ? { ...peer, peerRecordEnvelope: new Uint8Array(64).fill(7) } : peer
    }
    try {
      await replace(3400)
      const r = await cli(...v('backup'), '--json')
      expect(r.code).toBe(0)
    } finally {
      store.get = get
      await away.start()
    }
    expect(await badAnswers()).toContainEqual(
      expect.objectContaining({ guardian: 'friend 0', what: 'an address record', code: 'BAD_SIGNATURE' }),
    )
  })

  it('a recovery names a forged head, a certificate that proves nothing and a share that does not verify, and restores from the honest answers', async () => {
    // every guardian holds the newest version before the recovery
    await kithJson(...v('backup'))
    const newest = (await statusJson(...v('status', '--offline')))['committedVersion']
    const undo = [
      lieAbout(gs[0]!.guardian, (row) => ({ head: row.head && flipped(row.head) })),
      lieAbout(gs[1]!.guardian, () => ({ certificate: new Uint8Array(200).fill(9) })),
    ]
    const vaults = gs[2]!.guardian.db.vaults
    const share = vaults.currentShare
    vaults.currentShare = (id) => {
      const s = share.call(vaults, id)
      return s && flipped(s)
    }
    const recoverLog = join(work, 'recover.log')
    try {
      // the guardian with the bad share approves first: its share arrives before the key is rebuilt
      const order = [gs[2]!, gs[0]!, gs[1]!]
      const r = await RecoverRun.approvedBy(vault, order, join(work, 'out'), '--log-file', recoverLog)
      const done = await r.done
      expect(done.code, done.stderr).toBe(0)
      const bad = r.events.filter((e) => e['event'] === 'bad-guardian')
      expect(bad).toContainEqual(
        expect.objectContaining({
          guardian: 'friend 0',
          peerId: gs[0]!.peerId,
          what: 'head',
          code: 'BAD_SIGNATURE',
        }),
      )
      expect(bad).toContainEqual(
        expect.objectContaining({ guardian: 'friend 1', what: 'certificate', code: expect.any(String) }),
      )
      expect(bad).toContainEqual(expect.objectContaining({ peerId: gs[2]!.peerId, what: 'share' }))
      expect(await r.event('restore-done')).toMatchObject({ version: newest })
      // and the same in the recovery's log, as warnings
      const logged = (await jsonLines(recoverLog)).filter((l) => l['event'] === 'bad-guardian')
      expect(logged.map((l) => l['what']).sort()).toEqual(['certificate', 'head', 'share'])
      for (const l of logged) expect(l['level']).toBe('warn')
    } finally {
      for (const u of undo) u()
      vaults.currentShare = share
    }
  })
})
