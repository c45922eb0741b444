import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openHead } from '../../src/replica/head.js'
import { kithJson, statusJson } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()

describe('attack: two different version 2s pushed to two halves of the guardians', () => {
  let gs: LocalGuardian[]
  let v: (...args: string[]) => string[]
  let replace: (size: number) => Promise<void>

  beforeAll(async () => {
    const made = await backedUpVault(4, 2, 2, fleet)
    ;({ gs, v, replace } = made)
    const twin = join(made.work, 'twin')
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
    const vaultId = () => gs[0]!.guardian.db.vaults.all()[0]!.vaultId
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
})
