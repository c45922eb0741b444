/**
 * A site's view of a striped push: ten real guardians in-process, each a host of its own in one /24
 * (127.0.5.1 to .10 on loopback, listening and dialling from its own address), as a site's servers or a
 * wide vault's guardians are. At the offer each guardian dials its nine fellows at once, so each one sees
 * nine handshakes from one network, more than a network's half-open slots for strangers (p2p/admission.ts).
 * The fellows are members living at hosts their rosters give: none is refused, none is dropped as
 * unreachable, and the node's uplink still carries each new byte about once. (Before, each guardian
 * refused five of the nine, the fellows behind them were given up at once, and the node sent their
 * stripes again: about 3x.)
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kithJson } from '../helpers/cli.js'
import { localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
const MiB = 1024 * 1024

describe('a striped push among guardians in one network', () => {
  it('10 guardians in one /24, W = 8: the node sends about 1x the new bytes, and no fellow is refused', async () => {
    const hosts = Array.from({ length: 10 }, (_, i) => `127.0.5.${i + 1}`)
    const made = await localVault(10, 4, 8, fleet, {
      log: true,
      hosts,
      // no rounds before the push: the fellows have not met yet, as right after they were added
      antiEntropyMs: 3_600_000,
    })
    const file = join(made.work, 'hsm_secret')
    await writeFile(`${file}.tmp`, randomBytes(6 * MiB))
    await rename(`${file}.tmp`, file)
    await kithJson(...made.v('add-source', 'file', file, '--name', 'seed'))
    const pushed = (await kithJson(...made.v('backup')))['pushed'] as Record<string, unknown>
    expect(pushed).toMatchObject({ version: 1, committed: true })
    expect(pushed['receipts'] as number).toBeGreaterThanOrEqual(8)
    // nobody gave a fellow up: every stripe came from its owner
    const dropped: string[] = []
    for (const g of made.gs) {
      const log = await readFile(join(g.dir, 'kith.log'), 'utf8')
      dropped.push(...log.split('\n').filter((l) => l.includes('"event":"stripe-fellow-dropped"')))
    }
    expect(dropped).toEqual([])
    expect(pushed['sentBytes'] as number).toBeLessThanOrEqual(1.2 * 6 * MiB)
  })
})
