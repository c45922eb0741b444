import { afterAll, describe, expect, it } from 'vitest'
import { enrollWithInvite, pushVersion } from '../../src/p2p/client.js'
import type { KithNode } from '../../src/p2p/node.js'
import { GuardianProcess } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'
import { coordinatorNode, testVault } from '../helpers/vault.js'

const started: GuardianProcess[] = []
let node: KithNode | undefined

afterAll(async () => {
  await node?.stop()
  await Promise.all(started.map((g) => g.stop('SIGKILL')))
})

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('three guardian daemons (spawned processes, 127.0.0.1)', () => {
  it('enroll by invite, push with receipts, catch up after a restart by gossip alone, survive restarts', async () => {
    const gs = await Promise.all([1, 2, 3].map(async () => GuardianProcess.init(await tempDir('kith-g-'))))
    started.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    const invites = await Promise.all(gs.map((g) => g.invite()))
    node = await coordinatorNode()
    const v = await testVault(node, invites, 2, 2)
    for (const [i, inv] of invites.entries()) {
      await enrollWithInvite(node, inv, {
        roster: v.roster.bytes,
        share: v.shares[i]!.bytes,
        label: 'alice-node',
      })
    }

    // version 1 to all three, each answering with its own receipt
    const dir = await tempDir()
    const v1 = await v.nextVersion(dir)
    const receipts = await Promise.all(invites.map((inv) => pushVersion(node!, inv, v.pushArgs(v1))))
    expect(receipts.map((r) => r.receipt.version)).toEqual([1, 1, 1])
    expect(new Set(receipts.map((r) => Buffer.from(r.receipt.guardianKey).toString('hex'))).size).toBe(3)

    // guardian 3 goes down; versions 2 and 3 reach only guardians 1 and 2
    expect(await gs[2]!.stop('SIGTERM')).toBe(0)
    for (let i = 0; i < 2; i++) {
      const next = await v.nextVersion(dir)
      await Promise.all(invites.slice(0, 2).map((inv) => pushVersion(node!, inv, v.pushArgs(next))))
    }
    await node.stop()
    node = undefined

    // with the coordinator gone, guardian 3 restarts and catches up from its peers
    await gs[2]!.start()
    await until(async () => (await gs[2]!.status()).vaults[0]?.version === 3)
    expect(gs[2]!.output).toMatch(/caught up vault \w+ to version 3 from a fellow guardian/)

    // everyone restarts; what was stored is still there
    for (const g of gs) expect(await g.stop('SIGINT')).toBe(0)
    for (const g of gs) {
      const s = await g.status()
      expect(s.vaults).toHaveLength(1)
      expect(s.vaults[0]!.version).toBe(3)
      expect(s.vaults[0]!.equivocation).toBe(false)
      expect(s.vaults[0]!.bytesStored).toBeGreaterThan(0)
    }
    await Promise.all(gs.map((g) => g.start()))
    node = await coordinatorNode()
    // nothing secret ever reached a daemon's output: no share bytes, no invite secret, no data key
    const secrets = [
      ...v.shares.map((s) => Buffer.from(s.share).toString('hex')),
      ...invites.map((inv) => Buffer.from(inv.secret).toString('hex')),
      Buffer.from(v.dataKey).toString('hex'),
      Buffer.from(v.vaultSecretKey).toString('hex'),
    ]
    for (const g of gs) for (const secret of secrets) expect(g.output).not.toContain(secret)
    // a fresh coordinator node is not the vault's coordinator: guardians refuse it
    await expect(pushVersion(node, invites[0]!, v.pushArgs(await v.nextVersion(dir)))).rejects.toThrow(
      /UNAUTHORIZED_PEER/,
    )
  })
})
