/**
 * Attack: whoever steals the coordinator's disk holds the vault key and the coordinator's libp2p key. A
 * roster signed with them that names two throwaway peers used to delete the vault, evidence included, on
 * every guardian at once. Now each guardian keeps everything for the grace period, tells its human, and
 * the owner recovers from the friends meanwhile.
 */

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { readKeyFile } from '../../src/coordinator/vault-key-file.js'
import { sendRoster } from '../../src/p2p/client.js'
import { createKithNode } from '../../src/p2p/node.js'
import { loadOrCreatePeerKey } from '../../src/p2p/peer-key.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { openRoster, signRoster } from '../../src/replica/roster.js'
import { cli, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('attack: one stolen key signs the friends away', () => {
  it('a roster naming two throwaway peers deletes nothing; the owner still recovers; the friend may keep it', async () => {
    const made = await backedUpVault(3, 2, 2, fleet)
    const { gs, dir, work, vault, scb } = made
    const vaultId = gs[0]!.guardian.db.vaults.all()[0]!.vaultId
    const before = gs.map((g) => g.guardian.db.versions.usage(vaultId).chunks)
    // the thief: the vault key and the coordinator's own libp2p identity, from the stolen disk
    const { vaultKey } = await readKeyFile(vaultPaths(dir).key, dir)
    const thief = await createKithNode({ privateKey: await loadOrCreatePeerKey(vaultPaths(dir).peerKey) })
    try {
      const current = openRoster(gs[0]!.guardian.db.vaults.all()[0]!.roster)
      const throwaway = await Promise.all(
        [0, 1].map(async () => {
          const n = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
          await n.stop()
          return { peerId: peerIdBytes(n.peerId), addrs: [], label: 'nobody' }
        }),
      )
      const roster = signRoster(
        { ...current, epoch: current.epoch + 1, guardians: throwaway, createdAt: Date.now() },
        vaultKey,
      )
      await Promise.all(
        gs.map((g) =>
          sendRoster(
            thief,
            { peerId: peerIdBytes(g.guardian.node.peerId), addrs: g.guardian.addrs },
            { roster: roster.bytes },
          ),
        ),
      )
    } finally {
      await thief.stop()
    }
    for (const [i, g] of gs.entries()) {
      const kept = g.guardian.db.vaults.all()[0]!
      expect(kept.removal).toMatchObject({ epoch: 2, kept: false })
      expect(kept.removal!.at - Date.now()).toBeGreaterThan(6 * 86_400_000)
      expect(g.guardian.db.versions.usage(vaultId).chunks).toBe(before[i])
      expect(g.guardian.db.vaults.currentShare(vaultId)).toBeDefined()
      expect(g.lines.some((l) => /^REMOVAL: .*nothing is deleted before.*kith guardian keep/.test(l))).toBe(
        true,
      )
    }
    // the owner recovers from the friends during the grace period, byte for byte
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out')))
    for (const g of [gs[0]!, gs[1]!]) await r.approveAt(g)
    const result = await r.done
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const done = await r.event('restore-done')
    const file = (done['files'] as { path: string }[])[0]!
    expect(await readFile(file.path)).toEqual(await readFile(scb))
    // a friend who was told keeps it: nothing will be deleted, even after the grace period
    const kept = await cli('guardian', 'keep', 'nope', '--data-dir', gs[2]!.dir)
    expect(kept.code).toBe(2)
    expect(
      (await cli('guardian', 'keep', gs[2]!.guardian.db.vaults.all()[0]!.label, '--data-dir', gs[2]!.dir))
        .code,
    ).toBe(0)
    expect(gs[2]!.guardian.db.vaults.all()[0]!.removal).toMatchObject({ kept: true })
  })
})
