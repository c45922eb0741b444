/**
 * `npm run bench:guardian`: prints one JSON object about a real guardian daemon on loopback.
 * - push->receipt latency for a 1 KiB update (p50, p99), against a floor measured in the same run: a
 *   plain libp2p 1 KiB echo round trip to another process, plus one SQLite WAL+FULL commit. The push
 *   goes as the coordinator sends a small version: on the kept-open session stream, its chunk inline.
 *   Measured twice: back to back (each part in runs of 30, the parts taking turns), and spaced (10 ms
 *   apart, the floor's parts just before each push), since a shared machine's figures differ between
 *   the two;
 * - bulk chunk ingest (MB/s) of 1 GiB, and the daemon's peak RSS while ingesting it, against a floor:
 *   the peak RSS of a bare libp2p node of kith's stack (bench/echo-node.ts) taking the same bytes in the
 *   same window and dropping them.
 * Targets: push p50 <= 3 x (echo p50 + commit p50); peak RSS <= 150 MB. KITH_BENCH_MEMORY_LIMIT runs the
 * guardian and the floor's node with a small machine's memory, KITH_BENCH_AS_DEPLOYED=1 with the
 * systemd unit's environment (below). KITH_BENCH_UPLINK_MBIT=40 (root) sends everything to the guardian
 * and the floor's node through a home uplink of that rate (bench/home-link.ts): 256 MiB of bulk, and a
 * peak RSS target of 120 MB.
 */
import { spawn } from 'node:child_process'
import { createCipheriv, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { parseSize } from '../src/cli/parse.js'
import { sha256 } from '../src/crypto/hash.js'
import { deriveDataKeys, keyCommitment } from '../src/crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../src/crypto/schnorr.js'
import { enrollWithInvite } from '../src/p2p/client.js'
import { inviteFromText } from '../src/p2p/invite.js'
import { createKithNode } from '../src/p2p/node.js'
import { peerIdBytes } from '../src/p2p/peers.js'
import { PUSH_WINDOW_BYTES, PushSessions } from '../src/p2p/push-session.js'
import { sealChunk } from '../src/replica/chunk.js'
import { type ChunkRef, type Manifest, sealManifest, ZERO_HASH } from '../src/replica/manifest.js'
import { signRoster } from '../src/replica/roster.js'
import { splitDataKey } from '../src/shares/split.js'
import { deployedSettingsInForce, runAsDeployed } from './deployed.js'
import { echoNode, pct, peakRssMb, sqliteAppender } from './floors.js'
import { homeLink } from './home-link.js'
import { memoryLimit } from './memory-limit.js'
import { CLI, kith, waitForLine } from './procs.js'

/** Behind a home uplink (KITH_BENCH_UPLINK_MBIT), the bench runs inside a lab made for it. */
const link = await homeLink(fileURLToPath(import.meta.url))
const SAMPLES = 300
/** Back-to-back samples of one part before the next part takes its turn. */
const BLOCK = 30
/** 1 GiB; 256 MiB at a home uplink's rate (a minute, not four: its peak comes within the first). */
const BULK_CHUNKS = link ? 64 : 256
const BULK_CHUNK = 4 * 1024 * 1024

/** Deterministic pseudo-random stored chunk i (format byte first), without holding 1 GiB. */
function bulkChunk(i: number): Uint8Array {
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(i, 12)
  const out = new Uint8Array(
    createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv).update(Buffer.alloc(BULK_CHUNK)),
  )
  out[0] = 1
  return out
}

/**
 * KITH_BENCH_MEMORY_LIMIT=1GiB (root): the guardian and the floor's node run in a memory cgroup of that
 * size, as on a Raspberry Pi with that much RAM (Node sizes its heap from it).
 */
const limitText = process.env['KITH_BENCH_MEMORY_LIMIT']
const limit = (() => {
  if (limitText === undefined) return undefined
  try {
    return memoryLimit(parseSize(limitText))
  } catch (err) {
    return err as Error // not a size
  }
})()
if (limit instanceof Error) {
  console.error(`bench:guardian: KITH_BENCH_MEMORY_LIMIT=${limitText}: ${limit.message}`)
  process.exit(1)
}
/**
 * KITH_BENCH_AS_DEPLOYED=1: the guardian and the floor's node run with the memory settings the systemd
 * unit gives the daemon (bench/deployed.ts). The JSON says which settings the two processes had.
 */
const settings = process.env['KITH_BENCH_AS_DEPLOYED'] === '1' ? runAsDeployed() : deployedSettingsInForce()

const work = await mkdtemp(join(tmpdir(), 'kith-bench-'))
const gdir = join(work, 'guardian')
const listen = link
  ? ['--listen', link.guardianAddr, '--announce', link.guardianAddr]
  : ['--listen', '/ip4/127.0.0.1/tcp/0']
kith('guardian', 'init', '--data-dir', gdir, ...listen, '--json')
const start = [CLI, 'guardian', 'start', '--data-dir', gdir, '--no-web']
/** How the guardian and the floor's node are started: in the memory cgroup, on the far host, or both. */
const launch = {
  wrap: (c: string, a: readonly string[]): [string, string[]] => {
    const [c2, a2] = limit ? limit.wrap(c, a) : [c, [...a]]
    return link ? link.wrap(c2, a2) : [c2, a2]
  },
}
const [cmd, args] = launch.wrap(process.execPath, start)
const daemon = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
const node = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
/** The floor's echo node, a process of its own: killed however the bench ends. */
let echoes: Awaited<ReturnType<typeof echoNode>> | undefined
/** The coordinator's push sessions, kept open from one version to the next as the vault keeps them. */
const pushes = new PushSessions(node)
try {
  await waitForLine(daemon, /listening on/)
  const invite = inviteFromText(
    JSON.parse(kith('guardian', 'invite', '--data-dir', gdir, '--quota', '4GiB', '--json')).invite,
  )

  // a vault with this guardian and a second (absent) one, coordinated by `node`
  const vaultSecretKey = generateSecretKey()
  const dataKey = new Uint8Array(randomBytes(32))
  const keys = deriveDataKeys(dataKey)
  const absent = peerIdBytes(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
  const roster = signRoster(
    {
      vaultId: schnorrPublicKey(vaultSecretKey),
      epoch: 1,
      k: 2,
      w: 1,
      commitment: keyCommitment(dataKey),
      coordinator: peerIdBytes(node.peerId),
      guardians: [
        { peerId: invite.peerId, addrs: invite.addrs, label: 'bench' },
        { peerId: absent, addrs: [], label: 'absent' },
      ],
      createdAt: Date.now(),
    },
    vaultSecretKey,
  )
  const [share] = await splitDataKey(dataKey, { k: 2, n: 2, epoch: 1, vaultSecretKey })
  await enrollWithInvite(node, invite, { roster: roster.bytes, share: share!.bytes, label: 'bench' })

  let previous: Manifest | undefined
  const chunks = new Map<string, Uint8Array>()
  const version = (refs: ChunkRef[]) => {
    const m = sealManifest(
      {
        vaultId: roster.vaultId,
        epoch: 1,
        version: (previous?.version ?? 0) + 1,
        parent: previous?.hash ?? ZERO_HASH,
        createdAt: Date.now(),
        chunks: refs,
        body: { sources: [], files: [] },
      },
      keys.manifestKey,
      vaultSecretKey,
    )
    previous = m
    return { manifest: m.bytes, manifestHash: m.hash }
  }

  /** One small version, pushed as the coordinator sends it: on the session's stream, its chunk inline. */
  const pushOne = async (): Promise<number> => {
    const sealed = sealChunk(keys, randomBytes(1024))
    chunks.set(Buffer.from(sealed.id).toString('hex'), sealed.stored)
    const v = version([{ id: sealed.id, size: sealed.stored.length }])
    const t = performance.now()
    await pushes.push(invite, {
      ...v,
      chunk: async (id) => chunks.get(Buffer.from(id).toString('hex'))!,
      inline: [sealed.id],
    })
    return performance.now() - t
  }
  echoes = await echoNode(node, launch)
  const appender = sqliteAppender(work)
  /**
   * Each part in runs of `BLOCK` back to back, the three parts taking turns until each has `SAMPLES`
   * (after 20 of each to warm up): a busy machine at its fastest, and a slow minute of a shared one
   * falls on all three parts alike.
   */
  const backToBack = { echo: [] as number[], commit: [] as number[], push: [] as number[] }
  for (let i = 0; i < 20; i++) {
    await echoes.rtt()
    appender.commit()
    await pushOne()
  }
  for (let done = 0; done < SAMPLES; done += BLOCK) {
    for (let i = 0; i < BLOCK; i++) backToBack.echo.push(await echoes.rtt())
    for (let i = 0; i < BLOCK; i++) backToBack.commit.push(appender.commit())
    for (let i = 0; i < BLOCK; i++) backToBack.push.push(await pushOne())
  }
  /**
   * As a node's updates come: one at a time with the machine quiet between (10 ms), the floor's parts
   * sampled just before each push. The pause also lets the guardian's work after a receipt (retention,
   * the head's announcement) end before the next floor sample, which it would slow.
   */
  const spaced = { echo: [] as number[], commit: [] as number[], push: [] as number[] }
  for (let i = 0; i < SAMPLES; i++) {
    await new Promise((r) => setTimeout(r, 10))
    spaced.echo.push(await echoes.rtt())
    spaced.commit.push(appender.commit())
    spaced.push.push(await pushOne())
  }
  appender.close()
  const latency = (m: { echo: number[]; commit: number[]; push: number[] }) => {
    const floor = pct(m.echo, 50) + pct(m.commit, 50)
    const ratio = Math.round((pct(m.push, 50) / floor) * 100) / 100
    return {
      echo_rtt_1kib_ms: { p50: pct(m.echo, 50), p99: pct(m.echo, 99) },
      sqlite_wal_full_commit_ms: { p50: pct(m.commit, 50), p99: pct(m.commit, 99) },
      push_receipt_1kib_ms: { p50: pct(m.push, 50), p99: pct(m.push, 99) },
      floor_ms: Math.round(floor * 1000) / 1000,
      latency_ratio: ratio,
      meets_latency_target: ratio <= 3,
    }
  }

  const rssBeforeBulk = peakRssMb(daemon.pid!)
  const refs: ChunkRef[] = []
  for (let i = 0; i < BULK_CHUNKS; i++) refs.push({ id: sha256(bulkChunk(i)), size: BULK_CHUNK })
  const index = new Map(refs.map((r, i) => [Buffer.from(r.id).toString('hex'), i]))
  const bulk = version(refs)
  const t = performance.now()
  await pushes.push(invite, {
    ...bulk,
    chunk: async (id) => bulkChunk(index.get(Buffer.from(id).toString('hex'))!),
  })
  const bulkSeconds = (performance.now() - t) / 1000
  const rss = peakRssMb(daemon.pid!)
  // the floor: the echo node (kith's libp2p stack, the same latency samples served) takes the same bytes
  // in the same window, as messages it acknowledges and drops
  const floorBefore = echoes.peakRssMb()
  await echoes.sink(
    (function* () {
      for (let i = 0; i < BULK_CHUNKS; i++) yield bulkChunk(i)
    })(),
    PUSH_WINDOW_BYTES,
  )
  const floorRss = echoes.peakRssMb()
  const rssTarget = link ? 120 : 150

  console.log(
    JSON.stringify(
      {
        bench: 'guardian',
        node: process.version,
        cores: availableParallelism(),
        samples: SAMPLES,
        latency_target_ratio: 3,
        back_to_back: latency(backToBack),
        spaced: latency(spaced),
        memory_limit_bytes: limit?.bytes ?? null,
        // the guardian and the floor's node took everything through a home uplink of this rate
        uplink_mbit: link?.mbit ?? null,
        // what the guardian and the floor's node ran with (KITH_BENCH_AS_DEPLOYED=1: the systemd unit's)
        memory_settings: settings,
        bulk_ingest_bytes: BULK_CHUNKS * BULK_CHUNK,
        bulk_ingest_mb_s: Math.round((BULK_CHUNKS * BULK_CHUNK) / 1e6 / bulkSeconds),
        guardian_peak_rss_before_bulk_mb: rssBeforeBulk,
        guardian_peak_rss_mb: rss,
        floor_peak_rss_before_bulk_mb: floorBefore,
        floor_peak_rss_mb: floorRss,
        rss_ratio: Math.round((rss / floorRss) * 100) / 100,
        rss_target_mb: rssTarget,
        meets_rss_target: rss > 0 && rss <= rssTarget,
      },
      null,
      2,
    ),
  )
} finally {
  echoes?.close()
  pushes.close()
  await node.stop()
  daemon.kill('SIGTERM')
  await new Promise((r) => (daemon.exitCode === null ? daemon.once('exit', r) : r(undefined)))
  await rm(work, { recursive: true, force: true })
  await limit?.remove()
}
