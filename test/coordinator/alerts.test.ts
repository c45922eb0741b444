import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HealthAlerts } from '../../src/coordinator/alerts.js'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { type VaultStatus, vaultStatus } from '../../src/coordinator/status.js'
import { Vault } from '../../src/coordinator/vault.js'
import { readKeyFile } from '../../src/coordinator/vault-key-file.js'
import { Watcher } from '../../src/coordinator/watch.js'
import { kithJson } from '../helpers/cli.js'
import { localFleet, localVault } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
let server: Server | undefined
let watcher: Watcher | undefined
let vault: Vault | undefined
afterAll(async () => {
  await watcher?.stop()
  await vault?.close()
  server?.close()
})

describe('watch alerts', () => {
  it('posts a webhook and runs a command on health transitions, with no secrets in the payload', async () => {
    const events: { kind: string; verdict: string; previous?: string }[] = []
    const bodies: string[] = []
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => {
        body += d.toString()
      })
      req.on('end', () => {
        bodies.push(body)
        events.push(JSON.parse(body))
        res.end('ok')
      })
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`

    const { gs, work, dir, v } = await localVault(3, 2, 2, fleet)
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    await kithJson(...v('add-source', 'lnd-scb', scb))
    const commandLog = join(work, 'alerts.jsonl')

    // what `kith vault watch --alert-webhook URL --alert-command CMD` runs
    const lines: string[] = []
    vault = await Vault.open(dir)
    const alerts = new HealthAlerts(
      { webhook: url, command: `cat >> ${commandLog}; echo >> ${commandLog}` },
      (l) => lines.push(l),
    )
    watcher = new Watcher(vault, {
      debounceMs: 100,
      retryMs: 500,
      onEvent: (l) => lines.push(l),
      afterRound: async () => {
        const status = await vaultStatus(vault!)
        await alerts.incidents(status)
        await alerts.recoveryRequests(status)
        await alerts.observe(status)
      },
    })
    await watcher.start()
    const output = () => lines.join('\n')
    await waitUntil(() => /health: safe/.test(output()), output)

    await gs[2]!.stop()
    await waitUntil(() => events.some((e) => e.verdict === 'degraded'), output)
    await gs[2]!.start()
    await waitUntil(() => events.some((e) => e.verdict === 'safe' && e.previous === 'degraded'), output)
    await watcher.stop()
    watcher = undefined

    expect(events[0]).toMatchObject({ kind: 'health', verdict: 'degraded', previous: 'safe' })
    const commandLines = (await readFile(commandLog, 'utf8')).split('\n').filter((l) => l.trim() !== '')
    expect(commandLines.map((l) => JSON.parse(l).verdict)).toEqual(events.map((e) => e.verdict))
    const { vaultKey, kek } = await readKeyFile(vaultPaths(dir).key, dir)
    const { chunkKey } = vault.dataKeys()
    for (const body of [...bodies, ...commandLines]) {
      for (const secret of [vaultKey, kek, chunkKey])
        expect(body).not.toContain(Buffer.from(secret).toString('hex'))
    }
  }, 60_000)
})

describe('incident alerts', () => {
  it('fire once per incident since the last look, oldest first, and once per recovery request', async () => {
    const lines: string[] = []
    const alerts = new HealthAlerts({}, (l) => lines.push(l))
    const now = Date.now()
    const status = (incidents: VaultStatus['incidents']): VaultStatus => ({
      vault: 'kvault1test',
      name: 'n',
      k: 2,
      w: 2,
      n: 3,
      epoch: 1,
      committedVersion: 4,
      newestVersion: 4,
      outbox: [],
      guardians: [],
      verdict: 'at-risk',
      reasons: [],
      incidents,
      recoveryRequests: [],
    })
    const old = { kind: 'fencing' as const, at: now - 60_000, guardian: 'bob', version: 2 }
    const first = { kind: 'equivocation' as const, at: now + 10, guardian: 'carol', version: 4 }
    const second = { kind: 'fencing' as const, at: now + 20, guardian: 'dave', version: 5 }
    await alerts.incidents(status([first, old]))
    await alerts.incidents(status([second, first, old]))
    await alerts.incidents(status([second, first, old]))
    expect(lines).toEqual([
      expect.stringMatching(/^!! EQUIVOCATION: carol holds a different version 4/),
      expect.stringMatching(/^!! FENCED: dave holds the vault's epoch 5, newer than this node's/),
    ])

    // a recovery request someone made is announced once, however many rounds see it
    const req = { request: '176ab6f65e2f3d1f', createdAt: now, guardians: ['bob', 'carol'] }
    const withRequest = { ...status([]), recoveryRequests: [req] }
    await alerts.recoveryRequests(withRequest)
    await alerts.recoveryRequests(withRequest)
    expect(lines.slice(2)).toEqual([
      "!! RECOVERY REQUEST 176ab6f65e2f3d1f at bob, carol: if it is not you, run 'kith vault veto 176ab6f65e2f3d1f'",
    ])
  })
})

describe('a guardian not heard from', () => {
  it('is alerted once after the configured silence, and again only after it was heard in between', async () => {
    const lines: string[] = []
    const alerts = new HealthAlerts({}, (l) => lines.push(l))
    const now = Date.now()
    const status = (unreachableSince: number | null): VaultStatus => ({
      vault: 'kvault1test',
      name: 'n',
      k: 2,
      w: 2,
      n: 2,
      epoch: 1,
      committedVersion: 1,
      newestVersion: 1,
      outbox: [],
      guardians: [
        {
          label: 'bob',
          peerId: '12D3KooWbob',
          member: true,
          reachable: unreachableSince === null,
          unreachableSince,
          addrs: [],
          version: 1,
          lag: 0,
          hasCurrentShare: true,
          lastContact: now - 3 * 86_400_000,
        },
      ],
      verdict: 'degraded',
      reasons: [],
      incidents: [],
      recoveryRequests: [],
    })
    await alerts.silentGuardians(status(now - 3_600_000), 86_400_000, now)
    expect(lines).toEqual([])
    await alerts.silentGuardians(status(now - 2 * 86_400_000), 86_400_000, now)
    await alerts.silentGuardians(status(now - 2 * 86_400_000), 86_400_000, now)
    expect(lines).toEqual([expect.stringMatching(/^!! bob has not answered for 48 h/)])
    await alerts.silentGuardians(status(null), 86_400_000, now)
    await alerts.silentGuardians(status(now - 2 * 86_400_000), 86_400_000, now)
    expect(lines).toHaveLength(2)
  })
})
