/**
 * Three guardians as daemons (in this process: real libp2p on 127.0.0.1, real SQLite, the daemon class
 * the CLI runs): enroll by invite, push with receipts, catch up after a restart by gossip alone, keep
 * everything across restarts, and refuse a coordinator the roster does not name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enrollWithInvite } from '../../src/p2p/client.js'
import { type Invite, inviteFromText } from '../../src/p2p/invite.js'
import type { KithNode } from '../../src/p2p/node.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'
import { coordinatorNode, pushVersion, testVault } from '../helpers/vault.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
let node: KithNode | undefined
afterAll(async () => {
  await node?.stop()
})

describe('three guardian daemons', () => {
  let gs: LocalGuardian[]
  let invites: Invite[]
  let v: Awaited<ReturnType<typeof testVault>>
  let dir: string

  beforeAll(async () => {
    gs = await Promise.all([1, 2, 3].map(() => LocalGuardian.create()))
    fleet.guardians.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    invites = gs.map((g) => inviteFromText(g.invite()))
    node = await coordinatorNode()
    v = await testVault(node, invites, 2, 2)
    dir = await fileTempDir()
  })

  it('enroll by invite', async () => {
    for (const [i, inv] of invites.entries())
      await enrollWithInvite(node!, inv, {
        roster: v.roster.bytes,
        share: v.shares[i]!.bytes,
        label: 'alice-node',
      })
    for (const g of gs) expect(g.guardian.db.vaults.all()).toHaveLength(1)
  })

  it('version 1 reaches all three, each answering with its own receipt', async () => {
    const v1 = await v.nextVersion(dir)
    const receipts = await Promise.all(invites.map((inv) => pushVersion(node!, inv, v.pushArgs(v1))))
    expect(receipts.map((r) => r.receipt.version)).toEqual([1, 1, 1])
    expect(new Set(receipts.map((r) => Buffer.from(r.receipt.guardianKey).toString('hex'))).size).toBe(3)
  })

  it('a guardian that was down catches up from its peers, with the coordinator gone', async () => {
    await gs[2]!.stop()
    for (let i = 0; i < 2; i++) {
      const next = await v.nextVersion(dir)
      await Promise.all(invites.slice(0, 2).map((inv) => pushVersion(node!, inv, v.pushArgs(next))))
    }
    await node!.stop()
    node = undefined
    await gs[2]!.start()
    await waitUntil(() => gs[2]!.guardian.db.vaults.all()[0]?.headVersion === 3)
    expect(gs[2]!.lines.join('\n')).toMatch(
      /caught up vault ".+" \(\w+\) to version 3 from a fellow guardian/,
    )
  })

  it('everyone restarts; what was stored is still there', async () => {
    for (const g of gs) await g.stop()
    await Promise.all(gs.map((g) => g.start()))
    for (const g of gs) {
      const vaults = g.guardian.db.vaults.all()
      expect(vaults).toHaveLength(1)
      expect(vaults[0]).toMatchObject({ headVersion: 3, equivocation: false })
      expect(vaults[0]!.bytesStored).toBeGreaterThan(0)
    }
  })

  it('nothing secret ever reached a daemon line: no share, invite secret or key', () => {
    const secrets = [
      ...v.shares.map((s) => Buffer.from(s.share).toString('hex')),
      ...invites.map((inv) => Buffer.from(inv.secret).toString('hex')),
      Buffer.from(v.dataKey).toString('hex'),
      Buffer.from(v.vaultSecretKey).toString('hex'),
    ]
    const said = gs.flatMap((g) => g.lines).join('\n')
    expect(said).toMatch(/stored version 3/)
    for (const secret of secrets) expect(said).not.toContain(secret)
  })

  it('a fresh node that is not the vault coordinator is refused', async () => {
    node = await coordinatorNode()
    await expect(pushVersion(node, invites[0]!, v.pushArgs(await v.nextVersion(dir)))).rejects.toThrow(
      /UNAUTHORIZED_PEER/,
    )
  })
})
