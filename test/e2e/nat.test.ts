/**
 * Friends at home, in real network namespaces this test makes and removes: a coordinator behind one NAT,
 * two guardians behind two others, one guardian on the "public" side, nothing forwarded anywhere. The
 * spawned kith CLI and daemons run inside the namespaces. A backup commits at W; a NATed guardian
 * catches up; the public guardian goes down and comes back; a guardian's address changes; a recovery
 * from a fourth home with only the kit succeeds. Skipped, saying why, where namespaces cannot be made.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Lab, labUnavailable } from '../../bench/netns.js'
import { CLI } from '../helpers/daemons.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const unavailable = labUnavailable()
if (unavailable !== undefined) console.warn(`skipping the NAT tests: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('friends at home: NAT on every side, no port forwarded', () => {
  let lab: Lab
  let work: string
  const hosts: Record<string, { ns: string; ip: string }> = {}
  const guardians: Record<string, { dir: string; peerId: string; out: string; stop?: () => Promise<void> }> =
    {}
  let vaultDir: string
  const kith = (host: string, ...args: string[]) =>
    lab.exec(hosts[host]!.ns, process.execPath, [CLI, ...args])
  const v = (...args: string[]) => kith('coord', 'vault', ...args, '--data-dir', vaultDir, '--json')

  async function startGuardian(name: string): Promise<void> {
    const g = guardians[name]!
    // a home re-dials its relay every second, not every 10 s: the relay's restart is seen at once
    const p = lab.spawn(
      hosts[name]!.ns,
      process.execPath,
      [CLI, 'guardian', 'start', '--data-dir', g.dir, '--anti-entropy', '2s'],
      { ...process.env, KITH_DURATIONS: 'relayKeepAlive=1s' },
    )
    g.out = ''
    p.stdout!.on('data', (d: Buffer) => {
      g.out += d.toString()
    })
    p.stderr!.on('data', (d: Buffer) => {
      g.out += d.toString()
    })
    g.stop = async () => {
      if (p.exitCode !== null) return
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await exited
    }
    await waitUntil(
      () => /listening on/.test(g.out),
      () => g.out,
      30_000,
    )
  }

  const addrsOf = async (name: string): Promise<string[]> =>
    JSON.parse(await readFile(join(guardians[name]!.dir, 'addrs.json'), 'utf8').catch(() => '[]')) as string[]

  beforeAll(async () => {
    // named from the run's prefix: whatever a failed run leaves, its global teardown removes
    lab = new Lab(process.env['KITH_TEST_NETNS_PREFIX'] ?? `k${process.pid % 10000}`)
    hosts['pub'] = lab.publicHost('pub', 10)
    hosts['g1'] = lab.natHost('g1', 1)
    hosts['g2'] = lab.natHost('g2', 2)
    hosts['coord'] = lab.natHost('co', 3)
    hosts['rec'] = lab.natHost('re', 4)
    work = await fileTempDir()
    vaultDir = join(work, 'vault')
    // the public guardian, then two behind NAT that keep a reservation on it
    const pubDir = join(work, 'pub')
    const pub = JSON.parse(
      kith(
        'pub',
        'guardian',
        'init',
        '--data-dir',
        pubDir,
        '--listen',
        '/ip4/0.0.0.0/tcp/4646',
        '--announce',
        '/ip4/50.50.50.10/tcp/4646',
        '--json',
      ),
    ) as { peerId: string }
    guardians['pub'] = { dir: pubDir, peerId: pub.peerId, out: '' }
    await startGuardian('pub')
    const relay = `/ip4/50.50.50.10/tcp/4646/p2p/${pub.peerId}`
    for (const name of ['g1', 'g2']) {
      const dir = join(work, name)
      const g = JSON.parse(
        kith(
          name,
          'guardian',
          'init',
          '--data-dir',
          dir,
          '--listen',
          '/ip4/0.0.0.0/tcp/4646',
          '--relay',
          relay,
          '--json',
        ),
      ) as { peerId: string }
      guardians[name] = { dir, peerId: g.peerId, out: '' }
      await startGuardian(name)
      await waitUntil(
        async () => (await addrsOf(name)).some((a) => a.includes('/p2p-circuit')),
        () => guardians[name]!.out,
        30_000,
      )
    }
  }, 120_000)

  afterAll(() => lab?.destroy())

  it('a behind-NAT guardian cannot be dialed directly, only through its relay', async () => {
    expect(() =>
      lab.exec(hosts['coord']!.ns, 'sh', ['-c', `exec 3<>/dev/tcp/${hosts['g1']!.ip}/4646`]),
    ).toThrow()
    const addrs = await addrsOf('g1')
    expect(
      addrs.some((a) => a.startsWith('/ip4/50.50.50.10/tcp/4646/p2p/') && a.includes('/p2p-circuit')),
    ).toBe(true)
  })

  it('a backup from behind NAT commits at W, through the public guardian as relay', async () => {
    v('init', '-k', '2', '-w', '2', '--name', 'home node')
    const invites = ['pub', 'g1', 'g2'].map(
      (n) =>
        (
          JSON.parse(
            kith(n, 'guardian', 'invite', '--data-dir', guardians[n]!.dir, '--release-delay', '0s', '--json'),
          ) as { invite: string }
        ).invite,
    )
    await writeFile(join(work, 'invites.txt'), invites.join('\n'), { mode: 0o600 })
    v('add-guardian', '--invite-file', join(work, 'invites.txt'))
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(5000))
    v('add-source', 'lnd-scb', scb)
    // enrollments through the relay go through once the relay knows this vault: retried by each backup
    let last = ''
    await waitUntil(
      () => {
        try {
          last = v('backup')
          return (JSON.parse(last) as { pushed?: { committed: boolean } }).pushed?.committed === true
        } catch (err) {
          last = `${(err as { stdout?: string }).stdout ?? ''} ${(err as { stderr?: string }).stderr ?? String(err)}`
          return false
        }
      },
      () => `${last}\n${guardians['g1']!.out.slice(-2000)}`,
      40_000,
    )
    const status = statusNow()
    expect(status.guardians.filter((g) => g.reachable).length).toBeGreaterThanOrEqual(2)
    expect(status.guardians.find((g) => g.peerId === guardians['g1']!.peerId)?.path).toMatch(/relayed|direct/)
  }, 180_000)

  it('a guardian behind NAT that was away catches up from its fellows', async () => {
    await guardians['g2']!.stop!()
    await writeFile(join(work, 'channel.backup'), randomBytes(5100))
    await backupUntil(2)
    await startGuardian('g2')
    await waitUntil(
      () => /stored version 2|caught up/.test(guardians['g2']!.out),
      () => guardians['g2']!.out.slice(-3000),
      60_000,
    )
  }, 120_000)

  it('the public guardian goes down and comes back: the homes reserve again and backups go on', async () => {
    await guardians['pub']!.stop!()
    await startGuardian('pub')
    for (const n of ['g1', 'g2'])
      await waitUntil(
        async () => (await addrsOf(n)).some((a) => a.includes('/p2p-circuit')),
        () => guardians[n]!.out.slice(-2000),
        60_000,
      )
    await writeFile(join(work, 'channel.backup'), randomBytes(5200))
    await backupUntil(3)
  }, 180_000)

  it('a guardian whose address changes mid-life is reached again with no file edited', async () => {
    await guardians['g1']!.stop!()
    const config = JSON.parse(await readFile(join(guardians['g1']!.dir, 'guardian.json'), 'utf8')) as {
      listen: string[]
    }
    await writeFile(
      join(guardians['g1']!.dir, 'guardian.json'),
      JSON.stringify({ ...config, listen: ['/ip4/0.0.0.0/tcp/4747'] }),
    )
    await startGuardian('g1')
    await waitUntil(
      async () => (await addrsOf('g1')).some((a) => a.includes('/p2p-circuit')),
      () => '',
      60_000,
    )
    await writeFile(join(work, 'channel.backup'), randomBytes(5300))
    await backupUntil(4, 3)
  }, 180_000)

  it('a recovery from a fourth home, with only the kit, gets every approval and version 4', async () => {
    v('kit', '--out', join(work, 'kit'))
    const out = join(work, 'restored')
    const rec = lab.spawn(hosts['rec']!.ns, process.execPath, [
      CLI,
      'recover',
      '--kit',
      join(work, 'kit.txt'),
      '--out',
      out,
      '--json',
      '--poll',
      '500ms',
    ])
    let events = ''
    rec.stdout!.on('data', (d: Buffer) => {
      events += d.toString()
    })
    rec.stderr!.on('data', (d: Buffer) => {
      events += d.toString()
    })
    const code = (peerId: string) =>
      events
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event: string; peerId?: string; code?: string })
        .find((e) => e.event === 'request-sent' && e.peerId === peerId && e.code)?.code
    for (const n of ['g1', 'g2']) {
      await waitUntil(
        () => code(guardians[n]!.peerId) !== undefined,
        () => events.slice(-3000),
        60_000,
      )
      kith(n, 'guardian', 'approve', '--code', code(guardians[n]!.peerId)!, '--data-dir', guardians[n]!.dir)
    }
    const exit = await new Promise<number | null>((r) => rec.once('exit', r))
    expect(exit, events.slice(-3000)).toBe(0)
    expect(events).toMatch(/"event":"restore-done","version":4/)
  }, 180_000)

  /** `kith vault status --json` at the coordinator, whatever its verdict's exit status. */
  function statusNow(): {
    guardians: { peerId: string; label: string; reachable: boolean; path?: string }[]
  } {
    try {
      return JSON.parse(v('status')) as ReturnType<typeof statusNow>
    } catch (err) {
      return JSON.parse((err as { stdout: string }).stdout) as ReturnType<typeof statusNow>
    }
  }

  /** Back up until `version` is committed (with `receipts` receipts at least), retrying while relays settle. */
  async function backupUntil(version: number, receipts = 2): Promise<void> {
    let last = ''
    await waitUntil(
      () => {
        try {
          last = v('backup', '--timeout', '20s')
          const r = JSON.parse(last) as {
            pushed?: { version: number; receipts: number }
            drained: { version: number; receipts: number; committed: boolean }[]
          }
          const done = [...r.drained, ...(r.pushed ? [r.pushed] : [])].find((p) => p.version === version)
          return done !== undefined && done.receipts >= receipts
        } catch (err) {
          last = `${(err as { stdout?: string }).stdout ?? ''} ${(err as { stderr?: string }).stderr ?? String(err)}`
          return false
        }
      },
      () => last,
      120_000,
    )
  }
})
