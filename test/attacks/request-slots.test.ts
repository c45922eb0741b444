/**
 * A vault's open recovery requests, from the attacker's chair: a stranger's own libp2p nodes ask for the
 * vault's share from many loopback addresses (127.0.x.y, each a node of its own), with a fresh key every
 * try, while the owner recovers from 127.0.0.1 (another /24) with the real `kith recover`. It used to be
 * that 8 slots per vault were counted per address and refused tries cost nothing: a stranger with ten
 * addresses held every slot and took each back a moment after the friend's deny. (The same with one IPv6
 * /64: test/e2e/request-networks.test.ts.)
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { decodeText } from '../../src/crypto/text.js'
import { requestRecovery } from '../../src/p2p/client.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { setDurations } from '../../src/time/durations.js'
import { kithIn, kithJson, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { askingFlood, strangerNode } from '../helpers/stranger.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
const undo: (() => unknown)[] = []
afterEach(async () => {
  for (const u of undo.splice(0)) await u()
})

/** `n` loopback addresses of the /24 127.0.`third`.0. */
const network = (third: number, n: number) => Array.from({ length: n }, (_, i) => `127.0.${third}.${i + 1}`)
const refOf = (g: LocalGuardian) => ({ peerId: peerIdBytes(g.guardian.node.peerId), addrs: g.guardian.addrs })
const requestsAt = async (g: LocalGuardian) =>
  (await kithJson('guardian', 'requests', '--all', '--data-dir', g.dir))['requests'] as {
    request: string
    state: string
    network: string
  }[]
const said = (g: LocalGuardian, what: RegExp) => g.lines.filter((l) => what.test(l)).length
/** How many refusals with `code` a guardian's metrics count. */
const refusals = (metrics: string, code: string) =>
  Number(new RegExp(`kith_refusals_total\\{code="${code}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)

describe('attack: a stranger asks for the share from 64 addresses of one /24, without end', () => {
  it("holds two places; the owner's request gets in at once and is approved, and nobody denies anything", async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    const [g0, g1] = gs as [LocalGuardian, LocalGuardian]
    const flood = await askingFlood(network(7, 64), refOf(g0), decodeText('vault', vault))
    undo.push(() => flood.stop())
    // its network's two places are taken, and it goes on asking
    await waitUntil(() => (flood.outcomes.get('recorded') ?? 0) >= 2 && flood.tries() >= 128)

    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out')))
    await r.approveAt(g0)
    const asked = flood.tries()
    await r.approveAt(g1)
    const done = await r.done
    expect(flood.tries()).toBeGreaterThan(asked)
    await flood.stop()
    expect(done.stderr).toBe('')
    expect(done.code).toBe(0)
    // the owner was never turned away, nor told to wait
    expect(r.events.filter((e) => e['event'] === 'waiting' || e['event'] === 'unreachable')).toEqual([])
    // of the stranger's tries, two were recorded; every other one was refused
    expect(flood.outcomes.get('recorded')).toBe(2)
    const listed = await requestsAt(g0)
    // the owner's, released here, was closed by its finished recovery
    expect(listed.map((x) => x.state).sort()).toEqual(['finished', 'pending', 'pending'])
    expect(listed.filter((x) => x.state === 'pending').map((x) => x.network)).toEqual([
      '127.0.7.0/24',
      '127.0.7.0/24',
    ])
    // the friend heard of one asker per network: the stranger's, and the owner's
    expect(said(g0, /^RECOVERY REQUEST/)).toBe(2)
  })
})

describe('attack: the stranger takes back its places the moment the friend denies them', () => {
  it("cannot: its network's denied requests hold its places for the hour", async () => {
    const { gs, vault } = await backedUpVault(2, 2, 2, fleet)
    const g = gs[0]!
    const flood = await askingFlood(network(8, 16), refOf(g), decodeText('vault', vault))
    undo.push(() => flood.stop())
    await waitUntil(() => (flood.outcomes.get('recorded') ?? 0) >= 2)
    for (const x of await requestsAt(g)) await kithIn('guardian', 'deny', x.request, '--data-dir', g.dir)
    const tries = flood.tries()
    await waitUntil(() => flood.tries() >= tries + 64)
    await flood.stop()
    expect(flood.outcomes.get('recorded')).toBe(2)
    expect((await requestsAt(g)).map((x) => x.state)).toEqual(['denied', 'denied'])
  })
})

describe("attack: a stranger fills a vault's eight places from four networks", () => {
  it('the owner is told once why it waits, the friend once that places are full; their denials let it in', async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    const g = gs[0]!
    const vaultId = decodeText('vault', vault)
    for (const third of [11, 12, 13, 14])
      for (const from of network(third, 2)) {
        const node = await strangerNode(from)
        undo.push(() => node.stop())
        await requestRecovery(node, refOf(g), vaultId, generateEciesKeyPair().publicKey)
      }
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out')))
    const waiting = await r.event('waiting')
    expect(waiting['code']).toBe('TOO_MANY_REQUESTS')
    expect(String(waiting['error'])).toMatch(/all 8 places/)
    // its refused tries cost its network's tokens: the reason changes, and is not said again
    await waitUntil(async () => refusals(await g.guardian.metrics.text(), 'RATE_LIMITED') > 0)
    expect(r.events.filter((e) => e['event'] === 'waiting')).toHaveLength(1)
    // the friend heard of each network once, and once that the places are full
    expect(said(g, /^MANY RECOVERY REQUESTS/)).toBe(1)
    expect(said(g, /^RECOVERY REQUEST/)).toBe(4)
    // each request the friend did not expect, denied: its network stays out, the owner gets in
    for (const x of await requestsAt(g)) await kithIn('guardian', 'deny', x.request, '--data-dir', g.dir)
    for (const x of gs) await r.approveAt(x)
    expect((await r.done).code).toBe(0)
  })
})

describe('a stranger that stopped asking after its requests, and an owner who started again', () => {
  it("the requests of a stranger gone quiet give way to the owner's, which gets its code", async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    const g = gs[0]!
    const vaultId = decodeText('vault', vault)
    for (const third of [21, 22, 23, 24])
      for (const from of network(third, 2)) {
        const node = await strangerNode(from)
        // it asks once, then never again
        await requestRecovery(node, refOf(g), vaultId, generateEciesKeyPair().publicKey)
        await node.stop()
      }
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'out')))
    expect((await r.event('waiting'))['code']).toBe('TOO_MANY_REQUESTS')
    // what "a while" is, shortened: the stranger's requests are quiet now, the owner's is asked after
    undo.push(setDurations({ unattendedRequest: 50 }))
    for (const x of gs) await r.approveAt(x)
    expect((await r.done).code).toBe(0)
    const states = (await requestsAt(g)).map((x) => x.state)
    expect(states.filter((s) => s === 'superseded')).toHaveLength(1)
    expect(states.filter((s) => s === 'pending')).toHaveLength(7)
  })

  it("a third run from the owner's network takes the place of the first, which nobody asks after", async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    const g = gs[0]!
    // two runs given up (each stops waiting after 1 s): their requests stay, asked after by no one
    for (const run of ['a', 'b']) {
      const given = new RecoverRun(...recoverArgs(vault, gs, join(work, run), '--wait', '1s'))
      await given.event('request-sent')
      expect((await given.done).code).not.toBe(0)
    }
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'c')))
    expect((await r.event('waiting'))['error']).toMatch(/2 recovery requests from your network/)
    undo.push(setDurations({ unattendedRequest: 50 }))
    for (const x of gs) await r.approveAt(x)
    expect((await r.done).code).toBe(0)
    expect((await requestsAt(g)).map((x) => x.state).sort()).toEqual(['finished', 'pending', 'superseded'])
  })
})
