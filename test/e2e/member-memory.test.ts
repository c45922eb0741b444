/**
 * A member's memory attacks on a real guardian process (issue 25, item 6), from a vault's own
 * coordinator (a member: no stranger's budget limits its streams):
 * - on one connection, as many journal and push streams as the guardian lets it open, each sent the
 *   largest message its protocol allows but its last byte, so that none is ever complete: each stream
 *   could make the guardian buffer about 16 MiB (journal) or 57 MiB (push), and these 64 took it from
 *   125 to 1331 MiB;
 * - on three connections, as many fetch sessions, each asking for the vault's largest chunk again and
 *   again and never reading a reply, so that every answer waits in the guardian's memory for the peer
 *   to take it: from 150 to 418 MiB.
 * Another vault backs up to the same guardian meanwhile. Each attack gets a guardian of its own, so
 * that one's garbage, kept by the heap, does not hide the next one's growth.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterAll, describe, expect, it } from 'vitest'
import { ed25519PublicKey } from '../../src/crypto/ed25519.js'
import { MEMORY_SHARES } from '../../src/guardian/limits.js'
import { signWriterCertificate } from '../../src/journal/entry.js'
import { enrollWithInvite, type PeerRef } from '../../src/p2p/client.js'
import { isRemote } from '../../src/p2p/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { fleet, GuardianProcess } from '../helpers/daemons.js'
import { memory, memoryFromNow, varint } from '../helpers/process-memory.js'
import { fileTempDir } from '../helpers/tmp.js'
import { coordinatorNode, pushVersion, testVault } from '../helpers/vault.js'
import { waitUntil } from '../helpers/wait.js'

const f = fleet()
const nodes: KithNode[] = []
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
})

/** As many inbound streams of one protocol as a guardian lets one connection hold at once. */
const STREAMS_PER_PROTOCOL = 32
/** Connections the attacker opens, each from a node of its own with the vault's coordinator key. */
const ATTACKER_CONNECTIONS = 3
/** The attacker's wait for an answer: longer than the attack, so that only the guardian ends a stream. */
const ATTACKER_PATIENCE = 10 * 60_000
const MiB = 1024 * 1024
/**
 * What the guardian may grow by: one member's share, and room for garbage of the ~1 GiB the attacker
 * sends, not yet collected, and for the other vault's push (a first run measured 84 MiB held).
 */
const GROWTH_MIB = MEMORY_SHARES.peer / MiB + 96

/** A fake guardian on a roster (k ≥ 2 needs two): a peer id nobody runs. */
async function absentGuardian(): Promise<PeerRef> {
  const node = await coordinatorNode()
  await node.stop()
  return { peerId: peerIdBytes(node.peerId), addrs: [] }
}

/** One attack stream: what the guardian answered, or 'held' while it still waits for the last byte. */
interface AttackStream {
  readonly stream: Stream
  outcome: string
  /** The attacker's reader, where it reads only at the end. */
  readonly wire?: Wire
}

/** A guardian daemon, the attacker's vault and another, each with a first version committed. */
async function scene() {
  const g = await GuardianProcess.init(await fileTempDir('kith-g-'))
  f.started.push(g)
  await g.start()
  const st = await g.status()
  const guardian: PeerRef = { peerId: peerIdBytes(peerIdFromString(st.peerId)), addrs: [st.addrs[0]!] }
  const key = await generateKeyPair('Ed25519')
  const attackers = await Promise.all(
    Array.from({ length: ATTACKER_CONNECTIONS }, () => createKithNode({ privateKey: key })),
  )
  const attacker = attackers[0]!
  const honest = await coordinatorNode()
  nodes.push(...attackers, honest)
  const attackerVault = await testVault(attacker, [guardian, await absentGuardian()])
  const honestVault = await testVault(honest, [guardian, await absentGuardian()])
  let attackerChunk: Uint8Array | undefined
  for (const [node, v] of [
    [attacker, attackerVault],
    [honest, honestVault],
  ] as const) {
    await enrollWithInvite(node, await g.invite('1GiB'), {
      roster: v.roster.bytes,
      share: v.shares[0]!.bytes,
      label: 'vault',
    })
    const first = await v.nextVersion(await fileTempDir('kith-v-'), 6 * MiB)
    expect((await pushVersion(node, guardian, v.pushArgs(first))).receipt).toBeDefined()
    if (node === attacker) attackerChunk = [...first.manifest.chunks].sort((a, b) => b.size - a.size)[0]!.id
  }
  const work = await fileTempDir('kith-node-')
  return {
    pid: g.proc!.pid!,
    guardian,
    attacker,
    /** The same coordinator's other nodes: a connection each. */
    attackers,
    attackerVault,
    /** The largest chunk the attacker's vault keeps at the guardian. */
    attackerChunk: attackerChunk!,
    /** The other vault's backup, while an attack holds: a version of 6 MiB of new chunks, committed. */
    honestBackup: async () => {
      const next = await honestVault.nextVersion(work, 6 * MiB)
      const pushed = await pushVersion(honest, guardian, honestVault.pushArgs(next))
      expect(pushed.receipt.version).toBe(next.manifest.version)
    },
  }
}

type Scene = Awaited<ReturnType<typeof scene>>

describe('attacks from a member on the memory of a real guardian process', () => {
  /** A journal stream opened with a certificate the vault key signed, then the largest entry but a byte. */
  async function journalAttack(
    { attacker, guardian, attackerVault }: Scene,
    body: Uint8Array,
  ): Promise<AttackStream> {
    const stream = await openStream(attacker, guardian.peerId, guardian.addrs, PROTOCOLS.journal)
    const wire = new Wire(stream, PROTOCOLS.journal, MSG.journalState.maxBytes, ATTACKER_PATIENCE)
    const vaultId = attackerVault.roster.vaultId
    const writerKey = ed25519PublicKey(new Uint8Array(randomBytes(32)))
    const cert = signWriterCertificate(
      { vaultId, journal: 'cln-db', writerKey, createdAt: Date.now() },
      attackerVault.vaultSecretKey,
    )
    const a: AttackStream = { stream, outcome: 'held' }
    try {
      await wire.send(MSG.journalOpen, { certificate: cert.bytes })
      await wire.receive(MSG.journalState)
    } catch (err) {
      a.outcome = _refusal(err)
      return a
    }
    _sendAllButLast(stream, MSG.entry.maxBytes, body)
    void wire.receive(MSG.entryAck).then(
      () => {
        a.outcome = 'acknowledged'
      },
      (err: unknown) => {
        a.outcome = _refusal(err)
      },
    )
    return a
  }

  /** A push stream, and the largest offer but a byte. */
  async function pushAttack({ attacker, guardian }: Scene, body: Uint8Array): Promise<AttackStream> {
    const stream = await openStream(attacker, guardian.peerId, guardian.addrs, PROTOCOLS.push)
    const wire = new Wire(stream, PROTOCOLS.push, MSG.need.maxBytes, ATTACKER_PATIENCE)
    const a: AttackStream = { stream, outcome: 'held' }
    _sendAllButLast(stream, MSG.offer.maxBytes, body)
    void wire.receive(MSG.need).then(
      () => {
        a.outcome = 'answered'
      },
      (err: unknown) => {
        a.outcome = _refusal(err)
      },
    )
    return a
  }

  function _sendAllButLast(stream: Stream, length: number, body: Uint8Array): void {
    try {
      stream.send(varint(length))
      stream.send(body.subarray(0, length - 1))
    } catch {
      // the guardian reset it already
    }
  }

  const _refusal = (err: unknown) => (isRemote(err) ? err.remoteCode : `broken (${(err as Error).name})`)

  /** Outcomes by kind, for the assertions and the report. */
  function tally(attacks: readonly AttackStream[]): Map<string, number> {
    const outcomes = new Map<string, number>()
    for (const a of attacks) outcomes.set(a.outcome, (outcomes.get(a.outcome) ?? 0) + 1)
    return outcomes
  }

  it("journal and push streams with messages never completed: the guardian refuses (GUARDIAN_BUSY) what its share has no room for, its memory stays bounded, and another vault's push commits", async () => {
    const sc = await scene()
    const { pid } = sc
    const start = await memoryFromNow(pid)
    // one buffer of zeros, sent on every stream: the attacker's own memory stays small
    const body = new Uint8Array(Math.max(MSG.entry.maxBytes, MSG.offer.maxBytes))
    const attacks: AttackStream[] = []
    for (let i = 0; i < STREAMS_PER_PROTOCOL; i++) attacks.push(await journalAttack(sc, body))
    for (let i = 0; i < STREAMS_PER_PROTOCOL; i++) attacks.push(await pushAttack(sc, body))
    // each stream ends up held (every byte sent: the guardian took them all and waits for the last one)
    // or refused and reset; the check fails, saying how many are neither, if the wait runs out
    const settled = (a: AttackStream) =>
      a.outcome !== 'held' || a.stream.status !== 'open' || a.stream.writeBufferLength === 0
    await waitUntil(
      () => attacks.every(settled),
      () => `${attacks.filter((a) => !settled(a)).length} of the attacker's streams still sending`,
      90_000,
    )
    const during = await memory(pid)
    await sc.honestBackup()
    const after = await memory(pid)
    for (const a of attacks) a.stream.abort(new Error('done'))

    const outcomes = tally(attacks)
    const seen = JSON.stringify({ start, during, after, outcomes: Object.fromEntries(outcomes) })
    // every stream the guardian did not keep was refused by name, never dropped as a broken stream
    expect(
      [...outcomes.keys()].filter((k) => k !== 'held' && k !== 'GUARDIAN_BUSY'),
      seen,
    ).toEqual([])
    expect(outcomes.get('GUARDIAN_BUSY') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get('held') ?? 0).toBeGreaterThan(0)
    expect(after.peak - start.rss, seen).toBeLessThan(GROWTH_MIB)
  })

  it("fetch sessions on three connections that never read their replies: the answers waiting for them stay within the member's share, and another vault's push commits", async () => {
    const { pid, attackers, guardian, attackerVault, attackerChunk, honestBackup } = await scene()
    const start = await memoryFromNow(pid)
    const vaultId = attackerVault.roster.vaultId
    const attacks: AttackStream[] = []
    for (let i = 0; i < STREAMS_PER_PROTOCOL * attackers.length; i++) {
      const attacker = attackers[i % attackers.length]!
      const stream = await openStream(attacker, guardian.peerId, guardian.addrs, PROTOCOLS.fetchSession)
      const wire = new Wire(stream, PROTOCOLS.fetchSession, MSG.fetched.maxBytes, ATTACKER_PATIENCE)
      // read nothing: no window is granted, so the guardian's reply waits in its own memory
      stream.pause()
      for (let j = 0; j < 4; j++)
        await wire.send(MSG.fetch, { vaultId, what: 'chunk', chunkId: attackerChunk })
      attacks.push({ stream, outcome: 'held', wire })
    }
    // a reply waits once it filled the attacker's window (256 KiB); a refusal is reset 1 s after its error
    const settled = (a: AttackStream) => a.stream.status !== 'open' || a.stream.readBufferLength >= 200 * 1024
    await waitUntil(
      () => attacks.every(settled),
      () =>
        `${attacks.filter((a) => !settled(a)).length} of the attacker's sessions neither answered nor reset`,
      90_000,
    )
    // what a reset session was told before: its replies (if any), then why it was refused
    for (const a of attacks)
      if (a.stream.status !== 'open')
        a.outcome = await (async () => {
          if (a.stream.readStatus === 'paused') a.stream.resume()
          for (;;) await a.wire!.receive(MSG.fetched, { timeoutMs: 10_000 })
        })().catch(_refusal)
    const during = await memory(pid)
    await honestBackup()
    const after = await memory(pid)
    for (const a of attacks) a.stream.abort(new Error('done'))

    const outcomes = tally(attacks)
    const seen = JSON.stringify({ start, during, after, outcomes: Object.fromEntries(outcomes) })
    expect(
      [...outcomes.keys()].filter((k) => k !== 'held' && k !== 'GUARDIAN_BUSY'),
      seen,
    ).toEqual([])
    expect(outcomes.get('GUARDIAN_BUSY') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get('held') ?? 0).toBeGreaterThan(0)
    expect(after.peak - start.rss, seen).toBeLessThan(GROWTH_MIB)
  })
})
