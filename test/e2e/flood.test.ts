/**
 * Attacks on a real guardian process (spawned through the CLI), by strangers dialing from loopback
 * networks of their own (127.0.2.0/24 and up: limits count a /24, and 127.0.0.0/24 is the owner's), while
 * the owner (from 127.0.0.1) backs up and recovers:
 * - connection slots: 64 idle TCP connections used to fill `maxConnections`, and the coordinator, the
 *   recoverer and fellow guardians got PEER_UNREACHABLE until the stranger left;
 * - recovery request spam: a newer request used to supersede the pending one, ending the owner's recovery,
 *   and 1000 requests added 4.4 MB of rows and 1000 lines in the friend's terminal;
 * - memory: 64 half-sent maximum enroll and roster messages on each of 4 connections took a guardian from
 *   128 to 733 MiB.
 */
import { randomBytes } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { decodeText } from '../../src/crypto/text.js'
import { type PeerRef, requestRecovery } from '../../src/p2p/client.js'
import { isRemote } from '../../src/p2p/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS } from '../../src/p2p/wire.js'
import { fleet, type GuardianProcess, guardiansAndVault, kith, statusOf } from '../helpers/daemons.js'
import { memory, varint } from '../helpers/process-memory.js'
import { strangerNode } from '../helpers/stranger.js'
import { waitUntil } from '../helpers/wait.js'

const f = fleet()
const strangers: KithNode[] = []
afterAll(async () => {
  await Promise.all(strangers.map((n) => n.stop()))
})

async function stranger(from: string): Promise<KithNode> {
  const node = await strangerNode(from)
  strangers.push(node)
  return node
}

describe('attacks from strangers on a real guardian process', () => {
  let gs: GuardianProcess[]
  let v: (...args: string[]) => string[]
  let work: string
  let vaultId: Uint8Array
  let vault: string
  let scb: string
  let addrs: string[]
  let refs: PeerRef[]
  const replace = async () => {
    await writeFile(`${scb}.tmp`, randomBytes(4000))
    await rename(`${scb}.tmp`, scb)
  }
  const backup = async () => JSON.parse(await kith(...v('backup'))) as { pushed: Record<string, unknown> }

  /** The owner's recovery from all three guardians, approved by friends 0 and 1 with their codes. */
  async function ownersRecovery(out: string): Promise<{ code: number | null; stderr: string }> {
    const r = f.recover('--vault', vault, '--guardian', ...addrs, '--out', join(work, out), '--wait', '60s')
    for (const i of [0, 1]) {
      const peerId = addrs[i]!.split('/p2p/')[1]!
      await r.approveAt(peerId, gs[i]!.dir)
    }
    return { code: await r.exitCode(), stderr: r.stderr }
  }

  beforeAll(async () => {
    ;({ gs, v, work } = await guardiansAndVault(3, 2, 2, f.started))
    scb = join(work, 'channel.backup')
    await replace()
    await kith(...v('add-source', 'lnd-scb', scb))
    await backup()
    vault = (await statusOf(...v('--offline').slice(1, -1)))['vault'] as string
    vaultId = decodeText('vault', vault)
    addrs = await Promise.all(
      gs.map(async (g) => {
        const st = await g.status()
        return `${st.addrs[0]!}/p2p/${st.peerId}`
      }),
    )
    refs = addrs.map((a) => ({ peerId: peerIdBytes(peerIdFromString(a.split('/p2p/')[1]!)), addrs: [a] }))
  })

  describe('attack: connection slots (64 idle TCP connections and idle libp2p strangers)', () => {
    const sockets: Socket[] = []
    const closed = new Set<Socket>()
    afterAll(() => {
      for (const s of sockets) s.destroy()
    })

    it("the owner's backup and recovery go through while a stranger holds every connection it can", async () => {
      const port = Number(/\/tcp\/(\d+)/.exec(addrs[0]!)![1])
      // 64 raw TCP connections that never say a word
      await Promise.all(
        Array.from(
          { length: 64 },
          () =>
            new Promise<void>((resolve) => {
              const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.2.2' }, () => resolve())
              s.on('error', () => resolve())
              s.on('close', () => {
                closed.add(s)
                resolve()
              })
              sockets.push(s)
            }),
        ),
      )
      // and 8 libp2p strangers that finish the handshake and open no stream
      const idle = await Promise.all(Array.from({ length: 8 }, () => stranger('127.0.3.3')))
      const reached = await Promise.all(
        idle.map((n) =>
          n.dial(multiaddr(addrs[0]!), { signal: AbortSignal.timeout(5000) }).then(
            () => true,
            () => false,
          ),
        ),
      )
      expect(reached.filter(Boolean).length).toBeGreaterThan(0)

      await replace()
      expect((await backup()).pushed).toMatchObject({ committed: true, receipts: 3 })
      const recovered = await ownersRecovery('out-slots')
      expect(recovered.stderr).toBe('')
      expect(recovered.code).toBe(0)
    })

    it('the guardian closes idle strangers on its own, raw and libp2p alike', async () => {
      await waitUntil(
        () => sockets.every((s) => closed.has(s)),
        () => `${closed.size} of 64 closed`,
        20_000,
      )
      const peer = peerIdFromString(addrs[0]!.split('/p2p/')[1]!)
      const open = () => strangers.filter((n) => n.getConnections(peer).length > 0).length
      await waitUntil(
        () => open() === 0,
        () => `${open()} strangers still connected`,
        20_000,
      )
    })
  })

  describe('attack: recovery request spam (300 requests from one address, new ones every poll)', () => {
    it("strangers' requests are capped and refused, and the owner's recovery completes meanwhile", async () => {
      const before = (await gs[0]!.status()).vaults.length
      const lines = () => gs[0]!.output.split('\n').filter((l) => l.includes('RECOVERY REQUEST')).length
      const linesBefore = lines()
      const spammers = await Promise.all(Array.from({ length: 10 }, () => stranger('127.0.4.4')))
      const outcomes = new Map<string, number>()
      let tries = 0
      let stop = false
      // new requests with fresh keys, to every guardian, for as long as the owner's recovery runs
      const spam = Promise.all(
        spammers.map(async (node) => {
          while (!stop || tries < 300) {
            const ref = refs[tries++ % 3]!
            const outcome = await requestRecovery(node, ref, vaultId, generateEciesKeyPair().publicKey).then(
              () => 'accepted',
              (err: unknown) =>
                isRemote(err) ? err.remoteCode : ((err as { code?: string }).code ?? String(err)),
            )
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
          }
        }),
      )
      const recovered = await ownersRecovery('out-spam')
      stop = true
      await spam
      expect(recovered.stderr).toBe('')
      expect(recovered.code).toBe(0)
      // at most two requests per guardian from the stranger's network were ever recorded; every other try
      // was refused by a cap, a rate limit, or the connection limits for strangers
      expect(outcomes.get('accepted') ?? 0).toBeLessThanOrEqual(6)
      const refused = ['RATE_LIMITED', 'TOO_MANY_REQUESTS', 'PEER_UNREACHABLE']
      expect([...outcomes.keys()].filter((k) => k !== 'accepted' && !refused.includes(k))).toEqual([])
      for (const g of gs) {
        const listed = JSON.parse(
          await kith('guardian', 'requests', '--all', '--data-dir', g.dir, '--json'),
        ) as { requests: unknown[] }
        // every request ever recorded here: the owner's two recoveries, and at most two of the stranger
        expect(listed.requests.length).toBeLessThanOrEqual(4)
      }
      // the owner's request, and at most the two of the stranger's network
      expect(lines() - linesBefore).toBeLessThanOrEqual(3)
      expect((await gs[0]!.status()).vaults.length).toBe(before)
    })
  })

  describe('attack: memory (half-sent maximum enroll and roster messages on 4 connections)', () => {
    it("the guardian's memory stays bounded, and the owner's backup goes through", async () => {
      const pid = gs[0]!.proc!.pid!
      const start = await memory(pid)
      const held: Stream[] = []
      const nodes = await Promise.all(['127.0.5.5', '127.0.6.6', '127.0.7.7', '127.0.8.8'].map(stranger))
      /** 64 streams on each connection, each sending half of the largest enroll or roster message. */
      const round = async () => {
        for (const node of nodes)
          for (const [protocol, max] of [
            [PROTOCOLS.enroll, MSG.enroll.maxBytes],
            [PROTOCOLS.roster, MSG.roster.maxBytes],
          ] as const)
            for (let i = 0; i < 32; i++) {
              const s = await node.dialProtocol(multiaddr(addrs[0]!), protocol).catch(() => undefined)
              if (s === undefined) continue
              held.push(s)
              try {
                s.send(varint(max))
                s.send(new Uint8Array(Math.floor(max / 2)))
              } catch {
                // refused already: the guardian reset it
              }
            }
        // the guardian reads each stream's first bytes and resets those its budget has no room for: the
        // check fails (with how many are open) if more than two are still open when the wait runs out
        const open = () => held.filter((s) => s.status === 'open').length
        await waitUntil(
          () => open() <= 2,
          () => `${open()} of the attacker's streams still open: the guardian did not reset them`,
        )
      }
      // three times the attack that once took 605 MiB: the guardian keeps only the two roster messages
      // its budget allows in flight, and resets every other stream
      for (let i = 0; i < 3; i++) await round()
      const after = await memory(pid)
      await replace()
      expect((await backup()).pushed).toMatchObject({ committed: true, receipts: 3 })
      for (const s of held) s.abort(new Error('done'))
      // what is held stays bounded; the peak also counts garbage of the ~500 MB sent, not yet collected
      // (60 MiB on an idle machine, 100 under a parallel suite), against 605 MiB held for one round once
      expect(after.peak - start.rss).toBeLessThan(192)
    })
  })
})
