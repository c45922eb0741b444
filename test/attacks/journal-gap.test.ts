/**
 * Whoever holds a node's writer key (and its libp2p identity) sends a guardian a journal entry past a
 * gap, at a position the real writer has not reached. Taken on faith, it would stand where the writer's
 * own next entry must go: that entry refused (lightningd halts), and every later restore aiming at a
 * position no chain reaches. A guardian takes an entry past a gap only where a committed snapshot's mark
 * covers the gap and the entry follows that mark (and applies a mark whose certificate came before its
 * version once the version comes). The real writer (p2p/journal-writer.ts) on one side, a raw stream
 * signing what it likes on the other, in-process guardians: real libp2p on 127.0.0.1, real SQLite.
 */

import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeUnsigned } from '../../src/codec/record.js'
import { Guardian } from '../../src/guardian/service.js'
import { type JournalEntry, openEntry } from '../../src/journal/entry.js'
import { enrollWithInvite, fetchFromPeer, type PeerRef, sendCertificate } from '../../src/p2p/client.js'
import { JournalWriter } from '../../src/p2p/journal-writer.js'
import { MSG } from '../../src/p2p/messages.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { encodeCertificate } from '../../src/replica/certificate.js'
import { type CertifiedWriter, certifiedWriter, openJournal } from '../helpers/journal.js'
import { remoteCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, pushVersion, testVault } from '../helpers/vault.js'

/** The writer's own log, in memory: what it made, and what a committed snapshot lets it forget. */
class MemoryLog {
  private readonly entries = new Map<number, JournalEntry>()

  put(e: JournalEntry): JournalEntry {
    this.entries.set(e.position, e)
    return e
  }

  /** Forget what a committed snapshot covers (the coordinator trims the plugin's log so). */
  trim(upTo: number): void {
    for (const p of [...this.entries.keys()]) if (p <= upTo) this.entries.delete(p)
  }

  entriesFrom(position: number) {
    return [...this.entries.values()]
      .filter((e) => e.position >= position)
      .sort((a, b) => a.position - b.position)
      .map((e) => ({ position: e.position, bytes: e.bytes }))
  }

  hashAt(position: number): Uint8Array | undefined {
    return this.entries.get(position)?.hash
  }
}

describe('attack: a journal entry past a gap, signed with the writer key', () => {
  let guardian: Guardian
  let ref: PeerRef
  let node: KithNode
  let v: Awaited<ReturnType<typeof testVault>>
  let signer: CertifiedWriter
  let writer: JournalWriter
  const log = new MemoryLog()
  const held = () => guardian.db.journals.get(v.roster.vaultId, 'cln-db')!

  /** The real writer's next entry after `prev`, to every guardian: how many acknowledged it. */
  const append = async (position: number, prev: Uint8Array) => {
    const e = log.put(signer.entry(position, prev))
    return { e, outcome: await writer.append(position, e.bytes, 1, AbortSignal.timeout(15_000)) }
  }

  /** A committed version whose snapshot includes the journal up to `position`, where it is `hash`. */
  const commitSnapshot = async (position: number, hash: Uint8Array) => {
    const version = await v.nextVersion(await tempDir(), 3000, [{ journal: 'cln-db', position, hash }])
    const { receipt } = await pushVersion(node, ref, v.pushArgs(version))
    await sendCertificate(node, ref, encodeCertificate(version.head.bytes, [receipt.bytes]))
  }

  beforeAll(async () => {
    guardian = new Guardian({ dataDir: await tempDir('kith-gap-'), antiEntropyMs: 3_600_000 })
    await guardian.start()
    ref = { peerId: peerIdBytes(guardian.node.peerId), addrs: guardian.addrs }
    node = await coordinatorNode()
    v = await testVault(node, [ref, { peerId: peerIdBytes(node.peerId), addrs: [] }], 2, 1)
    await enrollWithInvite(node, localInvite(guardian), {
      roster: v.roster.bytes,
      share: v.shares[0]!.bytes,
      label: 'vault',
    })
    signer = certifiedWriter(v.vaultSecretKey, v.roster.vaultId, 'cln-db')
    writer = new JournalWriter(node, signer.certificate, log)
    writer.setTargets([{ label: 'friend', ...ref }])
    // installed as the plugin is: a first version, committed, marks where the journal starts
    await commitSnapshot(10, signer.genesis(10))
    let prev = signer.genesis(10)
    for (let p = 11; p <= 15; p++) {
      const { e, outcome } = await append(p, prev)
      expect(outcome.acks).toBe(1)
      prev = e.hash
    }
  })

  afterAll(async () => {
    writer?.close()
    await node?.stop()
    await guardian?.stop()
  })

  it('is refused with BAD_ENTRY, whatever it names as the entry before, and nothing of it is kept', async () => {
    const before = held()
    expect(before.lastPosition).toBe(15)
    for (const prev of [new Uint8Array(randomBytes(32)), before.lastHash!]) {
      const j = await openJournal(node, ref, signer)
      expect(await remoteCode(() => j.send(signer.entry(18, prev)))).toBe('BAD_ENTRY')
    }
    expect(held()).toEqual(before)
    expect(guardian.db.journals.entries(v.roster.vaultId, 'cln-db', 16, 1 << 20)).toEqual([])
  })

  it("the real writer's next entry is then taken, and a restore's target is that entry", async () => {
    const { outcome } = await append(16, held().lastHash!)
    expect(outcome).toEqual({ acks: 1, failures: [] })
    // what a recovery asks each guardian for first: the newest entry, the position to replay up to
    const head = decodeUnsigned(
      MSG.journalEntries,
      await fetchFromPeer(node, ref, v.roster.vaultId, { what: 'journalHead', journal: 'cln-db' }),
    )
    expect(openEntry(head.entries[0]!.entry, signer.writerKey).position).toBe(16)
  })

  it('a first entry is refused unless it follows a committed snapshot’s mark', async () => {
    const other = certifiedWriter(v.vaultSecretKey, v.roster.vaultId, 'other')
    for (const e of [
      other.entry(1000, new Uint8Array(randomBytes(32))),
      other.entry(1000, other.genesis(999)),
    ]) {
      const j = await openJournal(node, ref, other)
      expect(j.state.position).toBe(0)
      expect(await remoteCode(() => j.send(e))).toBe('BAD_ENTRY')
    }
    expect(guardian.db.journals.get(v.roster.vaultId, 'other')).toMatchObject({ lastPosition: 0, bytes: 0 })
  })

  it('a gap a committed snapshot covers is taken, from its mark; one past the writer again is not', async () => {
    // the writer goes on (17 to 30) while this guardian is away; a version marks 30 and is committed
    let prev = held().lastHash!
    for (let p = 17; p <= 30; p++) prev = log.put(signer.entry(p, prev)).hash
    await commitSnapshot(30, prev)
    expect(held()).toMatchObject({ lastPosition: 16, covered: 30 })
    log.trim(30)
    const { e, outcome } = await append(31, prev)
    expect(outcome).toEqual({ acks: 1, failures: [] })
    expect(held()).toMatchObject({ lastPosition: 31 })
    const j = await openJournal(node, ref, signer)
    expect(await remoteCode(() => j.send(signer.entry(33, e.hash)))).toBe('BAD_ENTRY')
    expect(held()).toMatchObject({ lastPosition: 31 })
  })
})

describe("a committed snapshot's mark reaches a guardian that got its certificate first", () => {
  const guardians: Guardian[] = []
  let node: KithNode

  afterAll(async () => {
    await node?.stop()
    await Promise.all(guardians.map((g) => g.stop()))
  })

  it('is applied when the version comes (a catch-up), and the writer goes on from it', async () => {
    for (let i = 0; i < 2; i++) {
      const g = new Guardian({ dataDir: await tempDir('kith-gap-'), antiEntropyMs: 3_600_000 })
      await g.start()
      guardians.push(g)
    }
    const [ref1, ref2] = guardians.map((g) => ({ peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }))
    node = await coordinatorNode()
    const v = await testVault(node, [ref1!, ref2!], 2, 1)
    for (const [i, g] of guardians.entries())
      await enrollWithInvite(node, localInvite(g), {
        roster: v.roster.bytes,
        share: v.shares[i]!.bytes,
        label: 'v',
      })
    const signer = certifiedWriter(v.vaultSecretKey, v.roster.vaultId, 'cln-db')
    // the second guardian keeps the journal, then hears the version is committed before it holds it
    await (await openJournal(node, ref2!, signer)).close()
    const version = await v.nextVersion(await tempDir(), 3000, [
      { journal: 'cln-db', position: 10, hash: signer.genesis(10) },
    ])
    const { receipt } = await pushVersion(node, ref1!, v.pushArgs(version))
    await sendCertificate(node, ref2!, encodeCertificate(version.head.bytes, [receipt.bytes]))
    const journal = () => guardians[1]!.db.journals.get(v.roster.vaultId, 'cln-db')!
    expect(journal().covered).toBe(0)
    await pushVersion(node, ref2!, v.pushArgs(version))
    expect(journal()).toMatchObject({ covered: 10, lastPosition: 0 })
    const j = await openJournal(node, ref2!, signer)
    expect(await j.send(signer.entry(11, signer.genesis(10)))).toBe(11)
    await j.close()
  })
})
