/**
 * A vault's own coordinator that tries to fill a guardian's disk. It holds the vault key, so it can
 * certify any number of journal names and sign entries for each, and it pushes versions. All of it shares
 * the one quota the guardian granted; a ninth journal is refused; a push that fitted when it was offered
 * is refused at its commit once entries took its room, and leaves no chunk behind; and another vault's
 * pushes commit at a guardian whose disk holds no more than what it granted the two. Real libp2p on
 * 127.0.0.1 and real SQLite; the disk's size is SQLite's max_page_count on the guardian's own handle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SqliteHandle } from '../../src/disk/sqlite.js'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite, type PeerRef } from '../../src/p2p/client.js'
import { isRemote } from '../../src/p2p/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import type { KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { type CertifiedWriter, certifiedWriter, openJournal } from '../helpers/journal.js'
import { remoteCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, pushVersion, testVault } from '../helpers/vault.js'

const KiB = 1024
const MiB = 1024 * KiB

/** The guardian's database handle: to read what a vault really holds, and to give it a small disk. */
const handle = (g: Guardian): SqliteHandle => Reflect.get(g.db, 'sql') as SqliteHandle

/** What a vault really holds at a guardian, from its tables: chunks, manifests and journal entries. */
function held(g: Guardian, vaultId: Uint8Array): number {
  const r = handle(g)
    .db.prepare(
      `SELECT (SELECT coalesce(sum(size), 0) FROM chunks WHERE vault_id = @v) +
              (SELECT coalesce(sum(size), 0) FROM manifests WHERE vault_id = @v) +
              (SELECT coalesce(sum(length(entry)), 0) FROM stream_entries WHERE vault_id = @v) AS n`,
    )
    .get({ v: vaultId }) as { n: number }
  return r.n
}

/** The guardian's disk from now on: room for `bytes` more (a fifth more for SQLite's own pages), no more. */
function limitDisk(g: Guardian, bytes: number): void {
  const db = handle(g).db
  const page = db.pragma('page_size', { simple: true }) as number
  const used = db.pragma('page_count', { simple: true }) as number
  db.pragma(`max_page_count = ${used + Math.ceil((1.2 * bytes) / page) + 64}`)
}

async function startGuardian(): Promise<{ guardian: Guardian; ref: PeerRef }> {
  const guardian = new Guardian({ dataDir: await tempDir('kith-full-'), antiEntropyMs: 3_600_000 })
  await guardian.start()
  return { guardian, ref: { peerId: peerIdBytes(guardian.node.peerId), addrs: guardian.addrs } }
}

/** A vault of `node` (2 guardians, W = 1: the other is the node itself), enrolled here with `quota`. */
async function enrolledVault(node: KithNode, guardian: Guardian, ref: PeerRef, quota: number) {
  const v = await testVault(node, [ref, { peerId: peerIdBytes(node.peerId), addrs: [] }], 2, 1)
  await enrollWithInvite(node, localInvite(guardian, quota), {
    roster: v.roster.bytes,
    share: v.shares[0]!.bytes,
    label: 'vault',
  })
  return v
}

/** Append `size`-byte entries to a journal until the guardian refuses one: the refusal's code. */
async function fillJournal(node: KithNode, ref: PeerRef, writer: CertifiedWriter, size: number) {
  const j = await openJournal(node, ref, writer)
  let position = j.state.position
  let prev = position === 0 ? writer.genesis(0) : j.state.hash
  try {
    // far more than any quota here holds: a guardian that never refuses fails the test, not hangs it
    for (let i = 0; i < 400; i++) {
      const e = writer.entry(position + 1, prev, size)
      await j.send(e)
      position = e.position
      prev = e.hash
    }
    return 'NONE'
  } catch (err) {
    if (isRemote(err)) return err.remoteCode
    throw err
  } finally {
    await j.close()
  }
}

describe('attack: a vault that tries to fill a guardian with its versions and journals', () => {
  const QUOTA_A = 1 * MiB
  const QUOTA_B = 2 * MiB
  const names = ['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7']
  let guardian: Guardian
  let ref: PeerRef
  let attacker: KithNode
  let owner: KithNode
  let a: Awaited<ReturnType<typeof enrolledVault>>
  let b: Awaited<ReturnType<typeof enrolledVault>>
  const writer = (journal: string) => certifiedWriter(a.vaultSecretKey, a.roster.vaultId, journal)

  beforeAll(async () => {
    ;({ guardian, ref } = await startGuardian())
    attacker = await coordinatorNode()
    owner = await coordinatorNode()
    a = await enrolledVault(attacker, guardian, ref, QUOTA_A)
    b = await enrolledVault(owner, guardian, ref, QUOTA_B)
    // the friend's disk holds what it granted the two vaults, and no more
    limitDisk(guardian, QUOTA_A + QUOTA_B)
  })

  afterAll(async () => {
    await Promise.all([attacker?.stop(), owner?.stop()])
    await guardian?.stop()
  })

  it('its versions and every journal its key certifies share one quota: each refusal is QUOTA_EXCEEDED', async () => {
    const v1 = await a.nextVersion(await tempDir(), 400 * KiB)
    expect((await pushVersion(attacker, ref, a.pushArgs(v1))).receipt.version).toBe(1)
    const codes: string[] = []
    for (const name of names.slice(0, 4))
      codes.push(await fillJournal(attacker, ref, writer(name), 100 * KiB))
    expect(codes).toEqual(['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED'])
    // a push counts the journals too
    const v2 = await a.nextVersion(await tempDir(), 300 * KiB)
    expect(await remoteCode(() => pushVersion(attacker, ref, a.pushArgs(v2)))).toBe('QUOTA_EXCEEDED')
    expect(held(guardian, a.roster.vaultId)).toBeLessThanOrEqual(QUOTA_A)
    // and the vault's count is what its tables hold
    expect(guardian.db.vaults.get(a.roster.vaultId)!.bytesStored).toBe(held(guardian, a.roster.vaultId))
  })

  it('a ninth journal is refused with TOO_MANY_JOURNALS, and nothing of it is kept', async () => {
    for (const name of names.slice(4)) await (await openJournal(attacker, ref, writer(name))).close()
    expect(guardian.db.journals.count(a.roster.vaultId)).toBe(8)
    expect(await remoteCode(() => openJournal(attacker, ref, writer('j8')))).toBe('TOO_MANY_JOURNALS')
    expect(guardian.db.journals.get(a.roster.vaultId, 'j8')).toBeUndefined()
    expect(guardian.db.journals.count(a.roster.vaultId)).toBe(8)
  })

  it("another vault's pushes commit while the full one keeps trying every journal it has", async () => {
    const dir = await tempDir()
    const [codes, versions] = await Promise.all([
      Promise.all(names.map((name) => fillJournal(attacker, ref, writer(name), 100 * KiB))),
      (async () => {
        const out: number[] = []
        for (const size of [900 * KiB, 800 * KiB]) {
          const v = await b.nextVersion(dir, size)
          out.push((await pushVersion(owner, ref, b.pushArgs(v))).receipt.version)
        }
        return out
      })(),
    ])
    expect(versions).toEqual([1, 2])
    expect(guardian.db.vaults.get(b.roster.vaultId)!.headVersion).toBe(2)
    expect(codes).toEqual(names.map(() => 'QUOTA_EXCEEDED'))
    expect(held(guardian, a.roster.vaultId)).toBeLessThanOrEqual(QUOTA_A)
  })
})

describe('attack: entries that take the room of a push while its chunks are on the way', () => {
  const QUOTA = 20 * MiB
  let guardian: Guardian
  let ref: PeerRef
  let attacker: KithNode

  beforeAll(async () => {
    ;({ guardian, ref } = await startGuardian())
    attacker = await coordinatorNode()
  })

  afterAll(async () => {
    await attacker?.stop()
    await guardian?.stop()
  })

  it('the push, which fitted when offered, is refused at its commit; none of its chunks stay', async () => {
    const c = await enrolledVault(attacker, guardian, ref, QUOTA)
    const vaultId = c.roster.vaultId
    // 14 MiB in chunks of at most 4 MiB: the guardian writes the first 8 MiB before the last chunk comes
    const v1 = await c.nextVersion(await tempDir(), 14 * MiB)
    const stream = await openStream(attacker, ref.peerId, ref.addrs, PROTOCOLS.push)
    const wire = new Wire(stream, PROTOCOLS.push, MSG.need.maxBytes)
    await wire.send(MSG.offer, { manifest: v1.manifest.bytes })
    const need = (await wire.receive(MSG.need)).chunks
    const send = async (id: Uint8Array) => {
      await wire.send(MSG.chunk, { id, data: (await c.chunks.get(id))! })
      await wire.receive(MSG.ack)
    }
    let i = 0
    while (guardian.db.vaults.get(vaultId)!.bytesStored === 0) await send(need[i++]!)
    expect(i).toBeLessThan(need.length)
    // the vault's journal takes the room that is left, and is refused past it
    const journal = certifiedWriter(c.vaultSecretKey, vaultId, 'j0')
    expect(await fillJournal(attacker, ref, journal, 256 * KiB)).toBe('QUOTA_EXCEEDED')
    for (; i < need.length; i++) await send(need[i]!)
    expect(await remoteCode(() => wire.receive(MSG.receipt))).toBe('QUOTA_EXCEEDED')
    const vault = guardian.db.vaults.get(vaultId)!
    expect(vault.headVersion).toBe(0)
    expect(guardian.db.versions.usage(vaultId)).toEqual({ chunks: 0, chunkBytes: 0, manifestBytes: 0 })
    expect(vault.bytesStored).toBe(guardian.db.journals.get(vaultId, 'j0')!.bytes)
    expect(vault.bytesStored).toBeLessThanOrEqual(QUOTA)
  })
})
