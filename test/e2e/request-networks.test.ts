/**
 * A stranger with a whole IPv6 /64 (64 addresses of fd00:66::/64 here, each its own libp2p node) asks a
 * guardian for a vault's share without end, with a fresh key every try, while the owner recovers from
 * another network with the real `kith recover`. Limits counted addresses, so one /64 was as many askers
 * as it had addresses. Every host is a network namespace this test makes and removes (the spawned
 * daemons, the coordinator's commands, the recovery and the stranger run inside them); skipped, saying
 * why, where namespaces cannot be made. (The same from 127.0.0.0/8: test/attacks/request-slots.test.ts.)
 */

import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Lab, labUnavailable } from '../../bench/netns.js'
import { kithIn, kithJson } from '../helpers/cli.js'
import { CLI } from '../helpers/daemons.js'
import { fileTempDir } from '../helpers/tmp.js'
import { recoveryCode, waitUntil } from '../helpers/wait.js'

const unavailable = labUnavailable()
if (unavailable !== undefined) console.warn(`skipping the IPv6 request-slot test: ${unavailable}`)

const DIST = join(CLI, '..', '..', '..')

/**
 * The stranger: one node per address of `from`, each asking `guardian` for `vault`'s share with a fresh
 * recovery key, again 100 ms after each answer; every 200 ms one line of what its tries came to.
 */
const FLOOD = `
const { dist, guardian, vault, from } = JSON.parse(process.argv[1])
// what kith's own entry points load first (Node 20 lacks some of what libp2p uses)
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { generateKeyPair } = await import('@libp2p/crypto/keys')
const { identify } = await import('@libp2p/identify')
const { peerIdFromString } = await import('@libp2p/peer-id')
const { tcp } = await import('@libp2p/tcp')
const { createLibp2p } = await import('libp2p')
const { requestRecovery } = await import(dist + '/src/p2p/client.js')
const { isRemote } = await import(dist + '/src/p2p/errors.js')
const { generateEciesKeyPair } = await import(dist + '/src/crypto/ecies.js')
const { decodeText } = await import(dist + '/src/crypto/text.js')
const ref = { peerId: peerIdFromString(guardian.split('/p2p/')[1]).toMultihash().bytes, addrs: [guardian] }
const vaultId = decodeText('vault', vault)
const outcomes = {}
let tries = 0
let stopped = false
const nodes = await Promise.all(from.map(async (a) => createLibp2p({
  privateKey: await generateKeyPair('Ed25519'),
  addresses: { listen: [] },
  transports: [tcp({ dialOpts: { localAddress: a } })],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify() },
})))
const loops = nodes.map(async (node) => {
  while (!stopped) {
    const outcome = await requestRecovery(node, ref, vaultId, generateEciesKeyPair().publicKey, {
      signal: AbortSignal.timeout(10000),
    }).then(() => 'recorded', (err) => (isRemote(err) ? err.remoteCode : (err.code ?? err.name)))
    tries++
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    await new Promise((r) => setTimeout(r, 100))
  }
})
const report = setInterval(() => console.log(JSON.stringify({ tries, outcomes })), 200)
process.on('SIGTERM', async () => {
  stopped = true
  await Promise.all(loops)
  clearInterval(report)
  console.log(JSON.stringify({ tries, outcomes }))
  await Promise.all(nodes.map((n) => n.stop()))
  process.exit(0)
})
`

/** A spawned process's JSON lines as they come, and its stderr. */
function jsonLines(proc: ChildProcess): { events: Record<string, unknown>[]; stderr: string } {
  const seen = { events: [] as Record<string, unknown>[], stderr: '' }
  let rest = ''
  proc.stdout!.on('data', (d: Buffer) => {
    rest += d.toString()
    const lines = rest.split('\n')
    rest = lines.pop()!
    for (const line of lines) if (line.trim()) seen.events.push(JSON.parse(line))
  })
  proc.stderr!.on('data', (d: Buffer) => {
    seen.stderr += d.toString()
  })
  return seen
}

const exited = (proc: ChildProcess) =>
  new Promise<number | null>((r) => {
    if (proc.exitCode !== null) r(proc.exitCode)
    else proc.once('exit', (code) => r(code))
  })

describe.skipIf(unavailable !== undefined)(
  'attack: a stranger with a whole IPv6 /64 asks without end',
  () => {
    let lab: Lab
    let work: string
    const guardians: { dir: string; addr: string; peerId: string; out: () => string }[] = []
    let vault: string
    let coord: string
    let owner: string
    let stranger: string

    beforeAll(async () => {
      // its own prefix beside the NAT test's lab, under the run's: whatever a failed run leaves, its global
      // teardown removes
      lab = new Lab(`${process.env['KITH_TEST_NETNS_PREFIX'] ?? `k${process.pid % 10000}`}v6`)
      const g = lab.ipv6Host('gd', ['fd00:6::1', 'fd00:6::2'])
      coord = lab.ipv6Host('co', ['fd00:5::1']).ns
      owner = lab.ipv6Host('re', ['fd00:7::1']).ns
      stranger = lab.ipv6Host(
        'st',
        Array.from({ length: 64 }, (_, i) => `fd00:66::${(i + 1).toString(16)}`),
      ).ns
      work = await fileTempDir()
      for (const ip of g.ips) {
        const dir = join(work, `g-${ip.replaceAll(':', '')}`)
        const init = await kithJson('guardian', 'init', '--data-dir', dir, '--listen', `/ip6/${ip}/tcp/4646`)
        const p = lab.spawn(g.ns, process.execPath, [CLI, 'guardian', 'start', '--data-dir', dir, '--no-web'])
        let out = ''
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
        })
        p.stderr!.on('data', (d: Buffer) => {
          out += d.toString()
        })
        await waitUntil(
          () => /listening on/.test(out),
          () => out,
          30_000,
        )
        const peerId = String(init['peerId'])
        guardians.push({ dir, peerId, addr: `/ip6/${ip}/tcp/4646/p2p/${peerId}`, out: () => out })
      }
      // the owner's node, its vault kept by both (2 of 2), version 1 committed
      const dir = join(work, 'vault')
      const kith = (...args: string[]) => lab.exec(coord, process.execPath, [CLI, ...args])
      await kithIn('vault', 'init', '-k', '2', '-w', '2', '--data-dir', dir, '--json')
      const invites = join(work, 'invites.txt')
      const text = async (d: string) =>
        JSON.parse(
          await kithIn(
            'guardian',
            'invite',
            '--data-dir',
            d,
            '--quota',
            '1GiB',
            '--release-delay',
            '0s',
            '--json',
          ),
        ).invite as string
      await writeFile(invites, `${(await Promise.all(guardians.map((x) => text(x.dir)))).join('\n')}\n`, {
        mode: 0o600,
      })
      kith('vault', 'add-guardian', '--invite-file', invites, '--data-dir', dir, '--json')
      const scb = join(work, 'channel.backup')
      await writeFile(scb, randomBytes(3000))
      kith('vault', 'add-source', 'lnd-scb', scb, '--data-dir', dir, '--json')
      kith('vault', 'backup', '--data-dir', dir, '--json')
      vault = String((await kithJson('vault', 'status', '--offline', '--data-dir', dir))['vault'])
    }, 120_000)

    afterAll(() => lab?.destroy())

    it("holds two places; the owner's request, from another /64, gets in and is approved; nobody denies anything", async () => {
      const [a, b] = guardians as [(typeof guardians)[0], (typeof guardians)[0]]
      const from = Array.from({ length: 64 }, (_, i) => `fd00:66::${(i + 1).toString(16)}`)
      const floodProc = lab.spawn(stranger, process.execPath, [
        '--input-type=module',
        '-e',
        FLOOD,
        JSON.stringify({ dist: DIST, guardian: a.addr, vault, from }),
      ])
      const flood = jsonLines(floodProc)
      const last = () =>
        flood.events.at(-1) as { tries: number; outcomes: Record<string, number> } | undefined
      // its network's two places are taken, and it goes on asking
      await waitUntil(
        () => (last()?.outcomes['recorded'] ?? 0) >= 2 && (last()?.tries ?? 0) >= 128,
        () => `${JSON.stringify(last())}\n${flood.stderr}`,
        60_000,
      )

      const rec = lab.spawn(owner, process.execPath, [
        ...[CLI, 'recover', '--json', '--poll', '200ms', '--wait', '2m', '--vault', vault],
        ...['--guardian', a.addr, b.addr, '--out', join(work, 'out')],
      ])
      const r = jsonLines(rec)
      for (const g of [a, b]) {
        const { code } = await recoveryCode(r, g.peerId)
        await kithIn('guardian', 'approve', '--code', code, '--data-dir', g.dir)
      }
      const asked = last()!.tries
      expect(await exited(rec)).toBe(0)
      await waitUntil(() => last()!.tries > asked)
      floodProc.kill('SIGTERM')
      expect(await exited(floodProc)).toBe(0)
      expect(r.stderr).toBe('')
      // the owner was never turned away, nor told to wait
      expect(r.events.filter((e) => e['event'] === 'waiting' || e['event'] === 'unreachable')).toEqual([])
      // of the stranger's tries, two were recorded; every other one was refused
      expect(last()!.outcomes['recorded']).toBe(2)
      const listed = (await kithJson('guardian', 'requests', '--all', '--data-dir', a.dir))['requests'] as {
        state: string
        network: string
      }[]
      expect(listed.map((x) => `${x.state} ${x.network}`).sort()).toEqual([
        // the owner's: released here, then closed by its finished recovery
        'finished fd00:7::/64',
        'pending fd00:66::/64',
        'pending fd00:66::/64',
      ])
      // its human heard of one asker per network: the stranger's, and the owner's
      expect(a.out().match(/RECOVERY REQUEST/g)).toHaveLength(2)
    })
  },
)
