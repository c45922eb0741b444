import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openHead } from '../../src/replica/head.js'
import { cli, kithJson, RecoverRun, recoverArgs, statusJson } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

describe('attack: two different version 2s pushed to two halves of the guardians', () => {
  let gs: LocalGuardian[]
  let v: (...args: string[]) => string[]
  let replace: (size: number) => Promise<void>
  let twin: string
  let made: Awaited<ReturnType<typeof backedUpVault>>
  /** What the owner backed up last (the file is the twin's source too). */
  let ownersNewest: Buffer
  const vaultId = () => gs[0]!.guardian.db.vaults.all()[0]!.vaultId

  beforeAll(async () => {
    made = await backedUpVault(4, 2, 2, fleet)
    ;({ gs, v, replace } = made)
    twin = join(made.work, 'twin')
    await cp(made.dir, twin, { recursive: true })
    // the owner's version 2 commits at friends 0 and 1 while 2 and 3 are away
    await Promise.all([gs[2]!.stop(), gs[3]!.stop()])
    await replace(3100)
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
    // the twin's version 2 commits at friends 2 and 3 while 0 and 1 are away
    await Promise.all([gs[0]!.stop(), gs[1]!.stop()])
    await Promise.all([gs[2]!.start(), gs[3]!.start()])
    await replace(3200)
    const twinBackup = await kithJson('vault', 'backup', '--data-dir', twin)
    expect(twinBackup['pushed']).toMatchObject({ version: 2, committed: true })
    // everyone is back
    await Promise.all([gs[0]!.start(), gs[1]!.start()])
  })

  it('every guardian finds the fork, keeps both heads as evidence and tells its human', async () => {
    const flagged = () => gs.map((g) => g.guardian.db.vaults.get(vaultId())?.equivocation === true)
    await waitUntil(
      () => flagged().every(Boolean),
      () => JSON.stringify(flagged()),
    )
    for (const g of gs) {
      const kept = g.guardian.db.versions.evidence(vaultId())
      expect(kept.length).toBeGreaterThan(0)
      const [a, b] = [openHead(kept[0]!.held), openHead(kept[0]!.offered)]
      expect([a.version, b.version]).toEqual([2, 2])
      expect(Buffer.from(a.manifestHash).equals(Buffer.from(b.manifestHash))).toBe(false)
      expect(g.lines.some((l) => l.includes('EQUIVOCATION'))).toBe(true)
    }
  })

  it("the owner's next backup is refused by the twin's half and recorded as an incident", async () => {
    await replace(3300)
    // version 3 commits at friends 0 and 1; friends 2 and 3 hold the twin's chain and refuse it
    const backup = await kithJson(...v('backup', '--timeout', '15s'))
    expect(backup['pushed']).toMatchObject({ version: 3, committed: true })
    const refusals = (backup['pushed'] as { failures: { label: string; code: string }[] }).failures
    expect(refusals.map((f) => [f.label, f.code]).sort()).toEqual([
      ['friend 2', 'VERSION_CHAIN'],
      ['friend 3', 'VERSION_CHAIN'],
    ])
    const status = await statusJson(...v('status', '--offline'))
    expect(status['verdict']).toBe('at-risk')
    expect((status['reasons'] as string[])[0]).toMatch(/^EQUIVOCATION/)
    expect(status['incidents']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'equivocation', guardian: 'friend 2', version: 3 }),
        expect.objectContaining({ kind: 'equivocation', guardian: 'friend 3', version: 3 }),
      ]),
    )
  })

  it("the owner's heal makes its chain the vault's: the twin's versions are set aside with their evidence, and its half takes the owner's next version", async () => {
    // friend 3 is away during the heal: it must get the choice later, with the roster
    await gs[3]!.stop()
    const healed = await kithJson(...v('heal', '--timeout', '15s'))
    expect(healed).toMatchObject({ version: 3, first: 1, epoch: 2 })
    const pushed = (
      healed['backup'] as { pushed: { version: number; committed: boolean; failures: { label: string }[] } }
    ).pushed
    expect(pushed).toMatchObject({ version: 4, committed: true })
    expect(pushed.failures.map((f) => f.label)).toEqual(['friend 3'])
    const owner = (version: number) => Buffer.from(gs[0]!.guardian.db.versions.link(vaultId(), version)!.hash)
    for (const g of gs.slice(0, 3)) {
      const vault = g.guardian.db.vaults.get(vaultId())!
      expect(vault).toMatchObject({ epoch: 2, headVersion: 4, equivocation: false })
      // the fork's proof stays
      expect(g.guardian.db.versions.evidence(vaultId()).length).toBeGreaterThan(0)
    }
    // friend 2 held the twin's version 2: set aside, its signed head kept; the owner's 4 follows its 1
    const aside = gs[2]!.guardian.db.versions.setAsideHeads(vaultId()).map((h) => openHead(h))
    expect(aside.map((h) => h.version)).toEqual([2])
    expect(Buffer.from(aside[0]!.manifestHash).equals(owner(2))).toBe(false)
    expect(gs[2]!.guardian.db.versions.link(vaultId(), 2)).toBeUndefined()
    expect(Buffer.from(gs[2]!.guardian.db.versions.link(vaultId(), 4)!.hash).equals(owner(4))).toBe(true)
    expect(
      gs[2]!.lines.some((l) => /the owner chose its chain at version 3; 1 version\(s\) set aside/.test(l)),
    ).toBe(true)
    // the owner's status no longer counts the settled fork
    const status = await statusJson(...v('status'))
    expect(status['reasons'] as string[]).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^EQUIVOCATION/)]),
    )
  })

  it('a guardian away during the heal gets the choice with the roster, and follows', async () => {
    await gs[3]!.start()
    await replace(3400)
    const backup = await kithJson(...v('backup', '--timeout', '15s'))
    expect(backup['pushed']).toMatchObject({ version: 5, committed: true, failures: [] })
    ownersNewest = await readFile(made.scb)
    await waitUntil(() => gs[3]!.guardian.db.vaults.get(vaultId())!.headVersion === 5)
    const vault = gs[3]!.guardian.db.vaults.get(vaultId())!
    expect(vault).toMatchObject({ epoch: 2, equivocation: false })
    expect(gs[3]!.guardian.db.versions.setAsideHeads(vaultId()).map((h) => openHead(h).version)).toEqual([2])
  })

  it("the twin is refused everywhere as an old epoch and told to stop; the friends' flags stay down", async () => {
    await replace(3500)
    const r = await cli('vault', 'backup', '--timeout', '5s', '--json', '--data-dir', twin)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/the owner chose another copy's chain .*STOP THIS NODE NOW.*\[FENCED\]/)
    for (const g of gs) {
      const vault = g.guardian.db.vaults.get(vaultId())!
      expect(vault).toMatchObject({ headVersion: 5, equivocation: false })
    }
  })

  it("a recovery restores the owner's newest version, not the twin's", async () => {
    const r = new RecoverRun(...recoverArgs(made.vault, gs, join(made.work, 'out')))
    for (const g of [gs[0]!, gs[1]!]) await r.approveAt(g)
    const result = await r.done
    expect(result.code, result.stderr).toBe(0)
    expect(await r.event('heads-collected')).toMatchObject({ version: 5, newest: 5, answered: 4 })
    const done = await r.event('restore-done')
    const file = (done['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(ownersNewest)
  })
})
