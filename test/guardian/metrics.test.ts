/**
 * Prometheus metrics: a guardian's `/metrics` (its local page, 127.0.0.1) and the vault's (from
 * `kith vault watch --metrics-listen`): what is held, how full, pushes timed, refusals by code; bounded
 * labels, nothing secret, nothing served but /metrics.
 */

import { describe, expect, it } from 'vitest'
import { runBackup } from '../../src/coordinator/backup.js'
import { vaultMetrics } from '../../src/coordinator/metrics.js'
import { Vault } from '../../src/coordinator/vault.js'
import { Metrics, serveMetrics } from '../../src/metrics.js'
import { kithJson } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'
import { remoteCode } from '../helpers/tmp.js'
import { pushVersion } from '../helpers/vault.js'

const fleet = localFleet()
const get = async (base: string, path: string) => {
  const res = await fetch(`${base}${path}`)
  return { status: res.status, text: await res.text() }
}

describe('metrics', () => {
  it("a guardian's /metrics: versions, bytes, quota, pushes timed, refusals by code; nothing else served", async () => {
    const { gs, replace, v } = await backedUpVault(2, 2, 2, fleet, { web: true })
    await replace(3200)
    await kithJson(...v('backup'))
    const g = gs[0]!.guardian
    // a stranger's push is refused: counted by its code
    const stranger = await strangerNode()
    const vaultId = g.db.vaults.all()[0]!.vaultId
    expect(
      await remoteCode(() =>
        pushVersion(
          stranger,
          { peerId: g.node.peerId.toMultihash().bytes, addrs: g.addrs },
          {
            manifest: new Uint8Array(10),
            manifestHash: new Uint8Array(32),
            chunk: async () => new Uint8Array(),
          },
        ),
      ),
    ).toBe('UNAUTHORIZED_PEER')
    await stranger.stop()
    {
      const m = await get(g.pageUrl!, '/metrics')
      expect(m.status).toBe(200)
      const label = g.db.vaults.all()[0]!.label
      expect(m.text).toContain(`kith_guardian_versions_held{vault="${label}"} 2`)
      expect(m.text).toMatch(/kith_guardian_bytes_stored\{vault="[^"]+"\} [1-9]\d*/)
      expect(m.text).toMatch(/kith_push_seconds_count [1-9]/)
      expect(m.text).toContain('kith_refusals_total{code="UNAUTHORIZED_PEER"} 1')
      expect(m.text).not.toContain(Buffer.from(vaultId).toString('hex'))
      // the rest of the page needs a login (test/web/page.test.ts)
      expect((await get(g.pageUrl!, '/')).text).not.toContain(label)
    }
  })

  it('vault watch adds what another process wrote (the CLN plugin) to its own', async () => {
    const m = new Metrics()
    m.set('kith_vault_epoch', 'The roster epoch in force', 3)
    const server = await serveMetrics(m, '127.0.0.1:0', undefined, async () => 'kith_cln_data_version 42\n')
    try {
      const { port } = server.address() as { port: number }
      const text = (await get(`http://127.0.0.1:${port}`, '/metrics')).text
      expect(text).toContain('kith_vault_epoch 3')
      expect(text).toContain('kith_cln_data_version 42')
    } finally {
      server.close()
    }
  })

  it("the vault's metrics: versions, outbox, each guardian's receipts and reachability", async () => {
    const { dir } = await backedUpVault(2, 2, 2, fleet)
    const vault = await Vault.open(dir, undefined, { lock: false })
    try {
      const m = new Metrics()
      vaultMetrics(vault, m)
      const text = await m.text()
      expect(text).toContain('kith_vault_committed_version 1')
      expect(text).toContain('kith_vault_outbox_versions 0')
      expect(text).toMatch(/kith_guardian_receipted_version\{guardian="friend 0"\} 1/)
    } finally {
      await vault.close()
    }
  })

  it("vault watch's kith_push_seconds counts each push to a guardian (it stayed at zero)", async () => {
    const { dir, replace } = await backedUpVault(2, 2, 2, fleet)
    const vault = await Vault.open(dir)
    try {
      const m = new Metrics()
      vault.onPushed = (seconds) => m.pushSeconds.observe(seconds)
      await replace(5000)
      await runBackup(vault)
      expect(await m.text()).toMatch(/kith_push_seconds_count 2/)
    } finally {
      await vault.close()
    }
  })
})
