/**
 * Upload once (in-process, 5 real guardians on 127.0.0.1, real SQLite): a version with new bytes goes
 * from the node to one guardian, and the others take its chunks from their fellows; the node's uplink
 * carries each new byte about once, and the version still commits at W durable receipts. Fellows that lie
 * (serve bytes that do not hash to the chunk id) or are away cost only time: the node sends what they
 * could not give, and nothing wrong is stored.
 */
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kithJson } from '../helpers/cli.js'
import { localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
const MiB = 1024 * 1024

describe('upload once: 5 guardians, W = 4', () => {
  let made: Awaited<ReturnType<typeof localVault>>
  let file: string
  const replace = async (bytes: number) => {
    await writeFile(`${file}.tmp`, randomBytes(bytes))
    await rename(`${file}.tmp`, file)
  }
  const backup = async () => (await kithJson(...made.v('backup')))['pushed'] as Record<string, unknown>

  it('a new version of 4 MiB: the node sends about 1x its bytes, not 5x, and it commits', async () => {
    made = await localVault(5, 3, 4, fleet)
    file = join(made.work, 'hsm_secret')
    await replace(4 * MiB)
    await kithJson(...made.v('add-source', 'file', file, '--name', 'seed'))
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 1, committed: true, receipts: 5 })
    const sent = pushed['sentBytes'] as number
    expect(sent).toBeGreaterThanOrEqual(4 * MiB)
    expect(sent).toBeLessThanOrEqual(1.2 * 4 * MiB)
    // every guardian holds the version, with the same chunks
    for (const g of made.gs) expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(1)
  })

  it('a small change goes to every guardian at once (latency before uplink)', async () => {
    await replace(1000)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 2, committed: true, receipts: 5 })
    expect(pushed['sentBytes'] as number).toBeLessThan(64 * 1024)
  })

  it('fellows that lie about chunks cost uplink, never integrity: the node sends what they could not', async () => {
    // every guardian is patched to serve garbage of the right length for any chunk a fellow asks for
    for (const g of made.gs) {
      const versions = g.guardian.db.versions
      const real = versions.chunk.bind(versions)
      versions.chunk = (vaultId: Uint8Array, id: Uint8Array) => {
        const data = real(vaultId, id)
        return data === undefined ? undefined : new Uint8Array(randomBytes(data.length))
      }
    }
    await replace(2 * MiB)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 3, committed: true, receipts: 5 })
    // no relay worked: each guardian got its chunks from the node
    expect(pushed['sentBytes'] as number).toBeGreaterThan(4 * 2 * MiB)
    for (const g of made.gs) expect(g.guardian.db.vaults.all()[0]!.headVersion).toBe(3)
  })

  it('a guardian that is away: the rest commit at W without it', async () => {
    await made.gs[4]!.stop()
    await replace(1 * MiB)
    const pushed = await backup()
    expect(pushed).toMatchObject({ version: 4, committed: true, receipts: 4 })
    await made.gs[4]!.start()
  })
})
