/**
 * `npm run bench:cln`: prints one JSON object about the kith-cln plugin replicating a CLN database to
 * three guardian daemons on loopback, W = 2, driven by a lightningd stand-in that speaks the plugin
 * protocol and commits each transaction only after `continue`.
 * - hook latency (db_write sent -> continue) p50 and p99, and sustained transactions per second;
 * - the floor, measured in the same run: one round trip on a kept-open libp2p stream to another process,
 *   one durable SQLite append of the same size, and the entry's Ed25519 signature made (by the plugin) and
 *   checked (by a guardian), with the code kith signs and checks entries with;
 * - guardian storage per transaction, and after a snapshot compacts the journal, the guardians' journal
 *   storage against the database's size (its JSON key keeps the journal's historical name, stream).
 * Targets: p50 <= 2 x floor, p99 <= 6 x floor; storage after compaction <= 2 x the database.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { ed25519PublicKey, ed25519Signer, ed25519Verify } from '../src/crypto/ed25519.js'
import { Database } from '../src/disk/sqlite-driver.js'
import { createKithNode } from '../src/p2p/node.js'
import { echoRtt, pct, sqliteCommits } from './floors.js'
import { cpuSeconds, kith, startGuardian, stopAll, vaultOf } from './procs.js'

const TRANSACTIONS = 600
const WARMUP = 20

/** `samples` Ed25519 signatures over an entry's 32-byte hash, and their checks (ms each), as kith makes them. */
function signatureTimes(samples: number): { sign: number[]; verify: number[] } {
  const seed = randomBytes(32)
  const sign = ed25519Signer(seed)
  const publicKey = ed25519PublicKey(seed)
  const out = { sign: [] as number[], verify: [] as number[] }
  for (let i = 0; i < samples; i++) {
    const hash = randomBytes(32)
    const t0 = performance.now()
    const signature = sign(hash)
    const t1 = performance.now()
    if (!ed25519Verify(publicKey, hash, signature)) throw new Error('a signature did not verify')
    out.sign.push(t1 - t0)
    out.verify.push(performance.now() - t1)
  }
  return out
}

const work = await mkdtemp(join(tmpdir(), 'kith-bench-cln-'))
const guardians = await Promise.all([0, 1, 2].map((i) => startGuardian(join(work, `g${i}`))))
try {
  const vault = vaultOf(work, 3)

  // a CLN-like database: vars (data_version), channels, payments
  const dbPath = join(work, 'lightningd.sqlite3')
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  // the tables kith's check of a CLN database looks for (src/lightning/cln-db.ts): CLN's schema version,
  // vars and channels with their state
  db.exec(`CREATE TABLE version (version INTEGER);
    INSERT INTO version VALUES (286);
    CREATE TABLE vars (name TEXT PRIMARY KEY, val TEXT, intval INTEGER, blobval BLOB);
    CREATE TABLE channels (id INTEGER PRIMARY KEY, state INTEGER, our_msat INTEGER, their_msat INTEGER, commit_num INTEGER);
    CREATE TABLE payments (id INTEGER PRIMARY KEY, payment_hash BLOB, msat INTEGER, status INTEGER, preimage BLOB);
    INSERT INTO vars (name, intval) VALUES ('data_version', 1);
    INSERT INTO channels VALUES (1, 2, 500000000, 500000000, 0);`)
  const install = JSON.parse(
    kith(
      'cln',
      'install-plugin',
      '--db',
      dbPath,
      '--plugin-dir',
      join(work, 'plugins'),
      '--data-dir',
      vault,
      '--from-clone',
      '--json',
    ),
  ) as { plugin: string }

  const plugin = spawn(install.plugin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
  let buffer = ''
  const waiting = new Map<number, (r: { result?: { result?: string } }) => void>()
  plugin.stdout.setEncoding('utf8')
  plugin.stdout.on('data', (d: string) => {
    buffer += d
    const parts = buffer.split('\n\n')
    buffer = parts.pop()!
    for (const p of parts) {
      const m = JSON.parse(p) as { id?: number; result?: { result?: string } }
      if (m.id !== undefined) waiting.get(m.id)?.(m)
    }
  })
  let id = 0
  const call = (method: string, params: unknown) =>
    new Promise<{ result?: { result?: string } }>((resolve) => {
      waiting.set(++id, resolve)
      plugin.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n\n`)
    })
  await call('getmanifest', {})
  await call('init', { options: {}, configuration: {} })

  // a payment: one insert, one channel update, the data_version, as CLN's statements (values expanded)
  const latencies: number[] = []
  let entryBytes = 0
  // where the CPU goes: each process's CPU seconds over the run (the bench itself stands in for lightningd)
  const pids = {
    plugin: plugin.pid!,
    ...Object.fromEntries(guardians.map((g, i) => [`guardian${i}`, g.pid!])),
  }
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]))
  const ownBefore = process.cpuUsage()
  const t0 = performance.now()
  for (let n = 1; n <= TRANSACTIONS; n++) {
    const dv = n + 1
    const hash = Buffer.alloc(32, n % 256).toString('hex')
    const writes = [
      `INSERT INTO payments (id, payment_hash, msat, status, preimage) VALUES (${n}, x'${hash}', ${1000 * n}, 2, x'${hash}');`,
      `UPDATE channels SET our_msat = our_msat - ${n}, their_msat = their_msat + ${n}, commit_num = commit_num + 1 WHERE id = 1;`,
      `UPDATE vars SET intval = ${dv} WHERE name = 'data_version';`,
    ]
    entryBytes += JSON.stringify(writes).length
    const t = performance.now()
    const r = await call('db_write', { data_version: dv, writes })
    if (r.result?.result !== 'continue') throw new Error(`transaction ${dv} refused: ${JSON.stringify(r)}`)
    if (n > WARMUP) latencies.push(performance.now() - t)
    db.transaction(() => {
      for (const w of writes) db.exec(w)
    })()
  }
  const seconds = (performance.now() - t0) / 1000
  const own = process.cpuUsage(ownBefore)
  const cpuMsPerTransaction = Object.fromEntries([
    ...Object.entries(pids).map(([k, pid]) => [
      k,
      Math.round(((cpuSeconds(pid) - cpuBefore[k]!) * 1e6) / TRANSACTIONS) / 1000,
    ]),
    ['lightningd_stand_in', Math.round((own.user + own.system) / TRANSACTIONS) / 1000],
  ])
  plugin.stdin.end()
  await new Promise((r) => plugin.once('exit', r))

  const journalBytes = () =>
    [0, 1, 2].map((i) => {
      const g = new Database(join(work, `g${i}`, 'guardian.sqlite3'), { readonly: true })
      try {
        return (
          g.prepare('SELECT coalesce(sum(length(entry)), 0) AS n FROM stream_entries').get() as { n: number }
        ).n
      } finally {
        g.close()
      }
    })
  const before = journalBytes()
  // compaction: a snapshot commits, and each guardian drops what it covers
  kith('vault', 'backup', '--data-dir', vault, '--json')
  await new Promise((r) => setTimeout(r, 500))
  const after = journalBytes()
  db.close()
  const dbSize = statSync(dbPath).size

  const node = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
  const samples = 300
  const avg = Math.round(entryBytes / TRANSACTIONS) + 200 // the entry's record and signature around the payload
  const echo = await echoRtt(node, samples, avg)
  const commits = sqliteCommits(work, samples, avg)
  await node.stop()
  const signatures = signatureTimes(samples)
  const floor = pct(echo, 50) + pct(commits, 50) + pct(signatures.sign, 50) + pct(signatures.verify, 50)
  const p50 = pct(latencies, 50)
  const p99 = pct(latencies, 99)
  const storageRatio = Math.max(...after) / dbSize
  console.log(
    JSON.stringify(
      {
        bench: 'cln',
        node: process.version,
        guardians: 3,
        w: 2,
        transactions: TRANSACTIONS,
        floor_ms: {
          p50: Math.round(floor * 1000) / 1000,
          echo_rtt_ms: pct(echo, 50),
          sqlite_full_append_ms: pct(commits, 50),
          ed25519_sign_ms: pct(signatures.sign, 50),
          ed25519_verify_ms: pct(signatures.verify, 50),
        },
        hook_ms: { p50, p99 },
        p50_ratio: Math.round((p50 / floor) * 100) / 100,
        p99_ratio: Math.round((p99 / floor) * 100) / 100,
        meets_p50_target: p50 <= 2 * floor,
        meets_p99_target: p99 <= 6 * floor,
        transactions_per_second: Math.round(TRANSACTIONS / seconds),
        cpu_ms_per_transaction: cpuMsPerTransaction,
        guardian_bytes_per_transaction: Math.round(Math.max(...before) / TRANSACTIONS),
        database_bytes: dbSize,
        guardian_stream_bytes_after_compaction: Math.max(...after),
        storage_ratio_after_compaction: Math.round(storageRatio * 1000) / 1000,
        meets_storage_target: storageRatio <= 2,
      },
      null,
      2,
    ),
  )
} finally {
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
