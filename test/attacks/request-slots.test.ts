import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { decodeText } from '../../src/crypto/text.js'
import { requestRecovery } from '../../src/p2p/client.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { kithIn, kithJson, RecoverRun } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'

const fleet = localFleet()
const nodes: KithNode[] = []
afterAll(async () => {
  for (const n of nodes) await n.stop()
})

describe("attack: a vault's open recovery requests filled from many addresses", () => {
  it("the owner's request is taken once the friend denies the strangers', its code shown then", async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    const g0 = gs[0]!
    const ref = { peerId: peerIdBytes(g0.guardian.node.peerId), addrs: g0.guardian.addrs }
    for (const from of [
      '127.0.0.2',
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.4',
      '127.0.0.5',
      '127.0.0.5',
    ]) {
      const node = await strangerNode(from)
      nodes.push(node)
      await requestRecovery(node, ref, decodeText('vault', vault), generateEciesKeyPair().publicKey)
    }

    const r = new RecoverRun('--vault', vault, '--guardian', g0.addr, gs[1]!.addr, '--out', join(work, 'out'))
    expect(await r.event('waiting', (e) => e['code'] === 'TOO_MANY_REQUESTS')).toBeDefined()
    await r.approveAt(gs[1]!)
    const strangers = (await kithJson('guardian', 'requests', '--data-dir', g0.dir))['requests'] as {
      request: string
    }[]
    expect(strangers).toHaveLength(8)
    for (const s of strangers) await kithIn('guardian', 'deny', s.request, '--data-dir', g0.dir)
    // the owner's request now gets in: its code is shown, and the friend approves it
    await r.approveAt(g0)
    const done = await r.done
    expect(done.stderr).toBe('')
    expect(done.code).toBe(0)
    // refused by the caps, its tries cost the owner's address no rate-limit tokens
    expect(r.events.some((e) => e['code'] === 'RATE_LIMITED')).toBe(false)
  })
})
