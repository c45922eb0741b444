/**
 * `kith lss serve` as a signer's operator runs it: the real CLI, spawned, on a vault of three guardians
 * (in this process), W = 2, and a signer that writes through the LSS client ported from VLS. The server
 * is killed with SIGKILL again and again, sometimes with a Put in flight; every Put that was answered is
 * there after each restart. Then the machine is lost: `kith recover --resume` on a new one, approved by
 * the guardians, and `kith lss serve` there serves the rebuilt store: the signer, with only its key,
 * finds every key at its last answered version (or at the one in flight when the server was killed).
 */
import { join } from 'node:path'
import * as secp from '@noble/secp256k1'
import { afterAll, describe, expect, it } from 'vitest'
import { RecoverRun, statusJson } from '../helpers/cli.js'
import { CLI } from '../helpers/daemons.js'
import { endOpenRequests, localFleet, localVault } from '../helpers/local.js'
import { closeLssChannels, LssPrivClient } from '../helpers/lss-client.js'
import { killGroup, runTracked, spawnTracked } from '../helpers/procs.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
afterAll(() => closeLssChannels())

/** `kith lss serve …` spawned; resolves with its LSS port once it says it listens. */
async function serve(...args: string[]) {
  const proc = spawnTracked(process.execPath, [CLI, 'lss', 'serve', '--listen', '127.0.0.1:0', ...args])
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  await waitUntil(
    () => /LSS on 127\.0\.0\.1:\d+/.test(out) || proc.exitCode !== null,
    () => out,
    60_000,
  )
  const port = /LSS on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]
  if (port === undefined) throw new Error(`kith lss serve did not start: ${out}`)
  return { proc, port: Number(port), output: () => out }
}

const value = (key: string, version: bigint) => new TextEncoder().encode(`${key} at ${version}`)

describe('kith lss serve, killed with SIGKILL, then its machine lost', () => {
  it('every answered Put survives each kill and the recovery on a new machine', async () => {
    const { gs, work, dir, v } = await localVault(3, 2, 2, fleet, { durable: true })
    const vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    const signerKey = secp.utils.randomSecretKey()
    /** What the signer was told is stored, and what was in flight when the server died. */
    const answered = new Map<string, bigint>()
    const inFlight = new Map<string, bigint>()
    const keys = ['_WRITER', 'channel/a', 'channel/b', 'node']
    for (let round = 0; round < 4; round++) {
      const s = await serve('--data-dir', dir)
      if (round === 0) {
        // one server per vault: a second one (VSS only, say) is refused while the first runs
        const second = await runTracked(process.execPath, [
          CLI,
          'lss',
          'serve',
          '--listen',
          'off',
          '--vss-listen',
          '127.0.0.1:0',
          '--data-dir',
          dir,
        ])
        expect(second.code).toBe(1)
        expect(second.stderr).toMatch(
          /another kith process \(pid \d+\) is using this signer store.*\[VAULT_BUSY\]/,
        )
      }
      const c = await LssPrivClient.connect(`127.0.0.1:${s.port}`, signerKey)
      // after a restart the signer reads back what it was told (and at most the write in flight)
      const back = new Map((await c.get('')).map((kv) => [kv.key, kv.version]))
      // every key told stored is back, at that version or the one in flight when the server died
      for (const [key, version] of answered) expect([version, inFlight.get(key)]).toContain(back.get(key))
      for (const [key, version] of back) answered.set(key, version)
      inFlight.clear()
      const puts = 5 + round * 3
      for (let i = 0; i < puts; i++) {
        const batch = keys
          .filter((_, j) => (i + j + round) % 2 === 0)
          .map((key) => {
            const version = answered.has(key) ? answered.get(key)! + 1n : 0n
            return { key, version, value: value(key, version) }
          })
        for (const kv of batch) inFlight.set(kv.key, kv.version)
        const put = c.put(batch)
        if (i === puts - 1 && round % 2 === 0) {
          // killed with this one in flight: it may or may not be stored, never half
          killGroup(s.proc)
          await put.catch(() => undefined)
          break
        }
        await put
        for (const kv of batch) answered.set(kv.key, kv.version)
        inFlight.clear()
      }
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        killGroup(s.proc)
        await new Promise((r) => s.proc.once('exit', r))
      }
    }
    // the machine is lost; a new one, with only the kit's vault id, the guardians and the signer's key
    endOpenRequests(gs)
    const newVault = join(work, 'new-machine')
    const r = await RecoverRun.approvedBy(
      vault,
      gs,
      join(work, 'out'),
      '--resume',
      '--old-node-stopped',
      '--data-dir',
      newVault,
    )
    expect((await r.done).code).toBe(0)
    const done = await r.event('restore-done')
    const store = (done['files'] as { source: string; path: string }[]).find(
      (f) => f.source === 'signer',
    )!.path
    const s = await serve('--data-dir', newVault, '--store', store)
    try {
      const c = await LssPrivClient.connect(`127.0.0.1:${s.port}`, signerKey)
      const got = new Map((await c.get('')).map((kv) => [kv.key, kv]))
      for (const [key, version] of answered) {
        const kv = got.get(key)!
        expect(kv.version === version || kv.version === inFlight.get(key)).toBe(true)
        expect(kv.value).toEqual(value(key, kv.version))
      }
      // and it goes on from there, each write held by W guardians again
      const next = [...got.values()].map((kv) => ({
        key: kv.key,
        version: kv.version + 1n,
        value: value(kv.key, kv.version + 1n),
      }))
      await c.put(next)
    } finally {
      killGroup(s.proc)
    }
  })
})
