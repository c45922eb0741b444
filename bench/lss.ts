/**
 * `npm run bench:lss`: prints one JSON object about `kith lss serve` (spawned) holding a VLS signer's
 * state with three guardian daemons on loopback, W = 2, driven by an LSS client as VLS's (gRPC, both
 * HMACs checked): a Put of one key, sent and answered one after another.
 * - Put p50 and p99, and Puts per second;
 * - the floor, measured in the same run: one round trip on a kept-open libp2p stream to another process
 *   plus one durable SQLite append of the same size (what a replicated write cannot do without).
 * Figures are ratios to that floor; no target is asserted here (the issue gives none beyond reporting).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import * as secp from '@noble/secp256k1'
import { createKithNode } from '../src/p2p/node.js'
import { closeLssChannels, LssPrivClient } from '../test/helpers/lss-client.js'
import { echoRtt, pct, sqliteCommits } from './floors.js'
import { CLI, startGuardian, stopAll, vaultOf } from './procs.js'

const PUTS = 600
const WARMUP = 20
const VALUE_BYTES = 300 // a VLS channel entry is a few hundred bytes of JSON

const work = await mkdtemp(join(tmpdir(), 'kith-bench-lss-'))
const guardians = await Promise.all([0, 1, 2].map((i) => startGuardian(join(work, `g${i}`))))
let server: ReturnType<typeof spawn> | undefined
try {
  const vault = vaultOf(work, 3)

  // KITH_PROFILE_DIR: the server's CPU profile goes there (where its time goes, for a closing note)
  const profile = process.env['KITH_PROFILE_DIR']
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []
  server = spawn(
    process.execPath,
    [...flags, CLI, 'lss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', vault],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /LSS on 127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    server!.once('exit', () => reject(new Error(`kith lss serve stopped: ${out}`)))
  })
  const client = await LssPrivClient.connect(`127.0.0.1:${port}`, secp.utils.randomSecretKey())
  const value = new Uint8Array(VALUE_BYTES).fill(7)
  const latencies: number[] = []
  const t0 = performance.now()
  for (let n = 0; n < PUTS; n++) {
    const t = performance.now()
    await client.put([{ key: 'channel/0001', version: BigInt(n), value }])
    if (n >= WARMUP) latencies.push(performance.now() - t)
  }
  const seconds = (performance.now() - t0) / 1000

  const node = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
  const samples = 300
  // the entry: the statement (the value and key as hex, the client id) in JSON, its record and signature
  const entry = 2 * (VALUE_BYTES + 32 + 33 + 12) + 250 + 200
  const echo = await echoRtt(node, samples, entry)
  const commits = sqliteCommits(work, samples, entry)
  await node.stop()
  const floor = pct(echo, 50) + pct(commits, 50)
  const p50 = pct(latencies, 50)
  const p99 = pct(latencies, 99)
  console.log(
    JSON.stringify(
      {
        bench: 'lss',
        node: process.version,
        guardians: 3,
        w: 2,
        puts: PUTS,
        value_bytes: VALUE_BYTES,
        floor_ms: {
          p50: Math.round(floor * 1000) / 1000,
          echo_rtt_ms: pct(echo, 50),
          sqlite_full_append_ms: pct(commits, 50),
        },
        put_ms: { p50, p99 },
        p50_ratio: Math.round((p50 / floor) * 100) / 100,
        p99_ratio: Math.round((p99 / floor) * 100) / 100,
        puts_per_second: Math.round(PUTS / seconds),
      },
      null,
      2,
    ),
  )
} finally {
  closeLssChannels()
  server?.kill('SIGTERM')
  if (server) await new Promise((r) => server!.once('exit', r))
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
