import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Guardian } from '../../src/guardian/service.js'
import { openManifest } from '../../src/replica/manifest.js'
import { cli, kithJson, RecoverRun, statusJson } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'

const fleet = localFleet()

/** Make a guardian lie in-process: it claims to hold version `upTo` at most, and serves nothing newer. */
function lie(g: Guardian, upTo: number): void {
  const db = g.db
  const head = db.versions.headOf(db.vaults.all()[0]!.vaultId, upTo)!
  const old = new Set<string>()
  const vaultId = db.vaults.all()[0]!.vaultId
  for (const c of openManifest(db.versions.manifest(vaultId, upTo)!).chunks)
    old.add(Buffer.from(c.id).toString('hex'))
  const dress = <T extends { headVersion: number } | undefined>(v: T): T =>
    v === undefined
      ? v
      : {
          ...v,
          head,
          headVersion: upTo,
          seenHead: head,
          seenVersion: upTo,
          certificate: null,
          certifiedVersion: 0,
        }
  const get = db.vaults.get.bind(db.vaults)
  const all = db.vaults.all.bind(db.vaults)
  const manifest = db.versions.manifest.bind(db.versions)
  const chunk = db.versions.chunk.bind(db.versions)
  db.vaults.get = (id) => dress(get(id))
  db.vaults.require = (id) => dress(get(id))!
  db.vaults.all = () => all().map(dress)
  db.versions.manifest = (id, version) => (version > upTo ? undefined : manifest(id, version))
  db.versions.chunk = (id, c) => (old.has(Buffer.from(c).toString('hex')) ? chunk(id, c) : undefined)
}

async function twoVersions() {
  const made = await backedUpVault(3, 2, 2, fleet)
  const v1 = await readFile(made.scb)
  await made.replace(3100)
  return { ...made, v1 }
}

describe('attack: one lying guardian, and a third that never heard of version 2', () => {
  it('ends in a refusal (two answers cannot outvote one liar), never in version 1', async () => {
    const { gs, work, v, vault } = await twoVersions()
    // version 2 commits at G0 and G1 while G2 is away
    await gs[2]!.stop()
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    // G1 goes offline; G0 lies from now on; G2 comes back and hears only G0's lie
    await gs[1]!.stop()
    lie(gs[0]!.guardian, 1)
    await gs[2]!.start()
    const r = await RecoverRun.approvedBy(vault, [gs[0]!, gs[2]!], join(work, 'out'))
    const done = await r.done
    expect(done.code).toBe(1)
    expect(done.stderr).toContain('[POSSIBLY_STALE]')
    expect(await r.event('heads-collected')).toMatchObject({ answered: 2, needed: 3, tolerate: 1 })
    expect(r.events.some((e) => e['event'] === 'restore-done')).toBe(false)
  })
})

describe('attack: one lying guardian, and a third that saw version 2 and holds its certificate', () => {
  let made: Awaited<ReturnType<typeof twoVersions>>

  it('names version 2, committed, and the guardians that hold it: even assuming nobody lies', async () => {
    made = await twoVersions()
    const { gs, work, v, vault } = made
    // G2 is online while version 2 commits, but cannot store it (its disk refuses): it sees the head and
    // gets the commit certificate, and keeps version 1
    const g2 = gs[2]!.guardian
    g2.db.versions.commit = () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })
    }
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({
      version: 2,
      committed: true,
      receipts: 2,
    })
    expect(g2.db.vaults.all()[0]).toMatchObject({ headVersion: 1, seenVersion: 2, certifiedVersion: 2 })
    await gs[1]!.stop()
    lie(gs[0]!.guardian, 1)
    const r = await RecoverRun.approvedBy(vault, [gs[0]!, gs[2]!], join(work, 'out'), '--tolerate', '0')
    const done = await r.done
    expect(done.code).toBe(1)
    expect(done.stderr).toMatch(
      /version 2 is the newest committed version.*held by friend 0, friend 1.*\[NEWEST_UNAVAILABLE\]/,
    )
    expect(r.events.some((e) => e['event'] === 'restore-done')).toBe(false)
  })

  it('--version 1 restores version 1 on purpose, with the stale-state warning', async () => {
    const { gs, work, vault, v1 } = made
    const r = await RecoverRun.approvedBy(vault, [gs[0]!, gs[2]!], join(work, 'older'), '--version', '1')
    expect((await r.done).code).toBe(0)
    expect(await r.event('older-version')).toMatchObject({ version: 1, newest: 2 })
    const done = await r.event('restore-done')
    const file = (done['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(v1)
  })
})

describe('attack: a guardian claims the node was taken over, without the proof', () => {
  it('the backup goes on at the others: a FENCED refusal counts only with the vault-signed newer roster', async () => {
    const { gs, v, replace } = await backedUpVault(3, 2, 2, fleet)
    const db = gs[0]!.guardian.db
    db.vaults.isFenced = () => true
    db.vaults.fencedAnywhere = () => true
    await replace(3300)
    const r = await cli(...v('backup'), '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)['pushed']).toMatchObject({ version: 2, receipts: 2, committed: true })
    expect(JSON.parse(r.stdout)['pushed']['failures']).toEqual([expect.objectContaining({ code: 'FENCED' })])
    expect((await statusJson(...v('status')))['verdict']).not.toBe('fenced')
  })
})
