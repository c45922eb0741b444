import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openManifest } from '../../src/replica/manifest.js'
import { kithJson, RecoverRun } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

describe('attack: the newest version is held only by a guardian that refuses its chunks', () => {
  let gs: LocalGuardian[]
  let work: string
  let vault: string
  let v1: Buffer

  beforeAll(async () => {
    const made = await backedUpVault(3, 2, 2, fleet)
    ;({ gs, work, vault } = made)
    v1 = await readFile(made.scb)
    // version 2 commits at G0 and G1 while G2 is away
    await gs[2]!.stop()
    await made.replace(3100)
    expect((await kithJson(...made.v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    // G0 goes away; G1 serves version 2's manifest but none of its new chunks
    await gs[0]!.stop()
    const db = gs[1]!.guardian.db
    const vaultId = db.vaults.all()[0]!.vaultId
    const old = new Set(
      openManifest(db.versions.manifest(vaultId, 1)!).chunks.map((c) => Buffer.from(c.id).toString('hex')),
    )
    const chunk = db.versions.chunk.bind(db.versions)
    db.versions.chunk = (id, c) => (old.has(Buffer.from(c).toString('hex')) ? chunk(id, c) : undefined)
    // G2 comes back, hears of version 2 from G1, and cannot fetch it either
    await gs[2]!.start()
    await waitUntil(() => gs[2]!.guardian.db.vaults.all()[0]!.seenVersion === 2)
  })

  it('stops with NEWEST_UNAVAILABLE naming version 2, its holder, and --version 1', async () => {
    const r = await RecoverRun.approvedBy(vault, [gs[1]!, gs[2]!], join(work, 'out'), '--tolerate', '0')
    const done = await r.done
    expect(done.code).toBe(1)
    expect(done.stderr).toMatch(/version 2 .*held by friend 1.*--version 1.*\[NEWEST_UNAVAILABLE\]/)
  })

  it('--version 1 takes the reachable older version, on purpose and with the warning', async () => {
    const r = await RecoverRun.approvedBy(vault, [gs[1]!, gs[2]!], join(work, 'v1'), '--version', '1')
    expect((await r.done).code).toBe(0)
    expect(await r.event('older-version')).toMatchObject({ version: 1, newest: 2 })
    const file = ((await r.event('restore-done'))['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(v1)
  })
})
