/**
 * The small update (in-process, a real guardian on 127.0.0.1, real SQLite): versions to a guardian
 * follow each other on one kept-open stream (`/kith/push/2.0.0`), a small one with its chunks inline and
 * answered with the receipt alone; a session that ended is replaced without the caller noticing.
 * Chunks that come inline are checked like any other: from the attacker's side (a coordinator key used
 * to send what the manifest does not list, bytes that are not the chunk, too much), each is refused and
 * nothing is stored. A coordinator that speaks only `/kith/push/1.0.0` still pushes, and a stranger gets
 * neither protocol.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/bytes.js'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite } from '../../src/p2p/client.js'
import { MAX_INLINE_BYTES, MSG } from '../../src/p2p/messages.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { PushSessions } from '../../src/p2p/push-session.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import type { Manifest } from '../../src/replica/manifest.js'
import { openReceipt } from '../../src/replica/receipt.js'
import { strangerNode } from '../helpers/stranger.js'
import { remoteCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, testVault } from '../helpers/vault.js'

let guardian: Guardian
let node: KithNode
/** The coordinator's kept sessions, as a vault keeps them. */
let sessions: PushSessions
let ref: { peerId: Uint8Array; addrs: readonly string[] }
let v: Awaited<ReturnType<typeof testVault>>
/** Streams this coordinator opened to the guardian for a push. */
let opened = 0

beforeAll(async () => {
  guardian = new Guardian({ dataDir: await tempDir('kith-session-'), antiEntropyMs: 3_600_000 })
  await guardian.start()
  node = await coordinatorNode()
  const dial = node.dialProtocol.bind(node)
  node.dialProtocol = ((...a: Parameters<KithNode['dialProtocol']>) => {
    const protocols = [a[1]].flat()
    if (protocols.includes(PROTOCOLS.push) || protocols.includes(PROTOCOLS.pushOnce)) opened++
    return dial(...a)
  }) as KithNode['dialProtocol']
  ref = { peerId: peerIdBytes(guardian.node.peerId), addrs: guardian.addrs }
  sessions = new PushSessions(node)
  const phantom = {
    peerId: peerIdBytes((await createKithNode({ privateKey: await generateKeyPair('Ed25519') })).peerId),
    addrs: [],
  }
  v = await testVault(node, [ref, phantom], 2, 1)
  await enrollWithInvite(node, localInvite(guardian), {
    roster: v.roster.bytes,
    share: v.shares[0]!.bytes,
    label: 'vault',
  })
})

afterAll(async () => {
  sessions.close()
  await node.stop()
  await guardian.stop()
})

/** What the guardian holds of the vault. */
const held = () => ({
  head: guardian.db.vaults.get(v.roster.vaultId)?.headVersion,
  chunks: guardian.db.versions.usage(v.roster.vaultId).chunks,
})

/** The chunks of `m` the guardian does not hold: what the coordinator sends inline. */
const fresh = (m: Manifest) =>
  m.chunks.filter((c) => !guardian.db.versions.hasChunk(v.roster.vaultId, c.id)).map((c) => c.id)

/** The kinds of message the guardian sends while `fn` runs (its streams are the inbound ones). */
async function guardianSays(fn: () => Promise<void>): Promise<string[]> {
  const said: string[] = []
  const name = new Map<unknown, string>([
    [MSG.need, 'need'],
    [MSG.ack, 'ack'],
    [MSG.receipt, 'receipt'],
    [MSG.error, 'error'],
  ])
  const send = Wire.prototype.send
  Wire.prototype.send = async function (this: Wire, def, values, options) {
    if (this.stream.direction === 'inbound') said.push(name.get(def) ?? 'other')
    return send.call(this, def, values, options)
  }
  try {
    await fn()
  } finally {
    Wire.prototype.send = send
  }
  return said
}

describe('push sessions: the small update', () => {
  it('versions follow each other on one stream; a small one is offer and receipt, nothing between', async () => {
    const said = await guardianSays(async () => {
      for (let i = 1; i <= 3; i++) {
        const { manifest } = await v.nextVersion(await tempDir(), 2000)
        const r = await sessions.push(ref, { ...v.pushArgs({ manifest }), inline: fresh(manifest) })
        expect(r.receipt.version).toBe(i)
        expect(r.sentChunks).toBeGreaterThan(0)
      }
    })
    expect(opened).toBe(1)
    expect(said).toEqual(['receipt', 'receipt', 'receipt'])
    expect(held().head).toBe(3)
  })

  it('without chunks inline the guardian asks for them, on the same stream', async () => {
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const missing = fresh(manifest).length
    expect(missing).toBeGreaterThan(0)
    const said = await guardianSays(async () => {
      const r = await sessions.push(ref, v.pushArgs({ manifest }))
      expect(r.receipt.version).toBe(4)
      expect(r.sentChunks).toBe(missing)
    })
    expect(said).toEqual(['need', ...Array<string>(missing).fill('ack'), 'receipt'])
    expect(opened).toBe(1)
  })

  it('a session the guardian ended is replaced at the next push, unnoticed by the caller', async () => {
    for (const c of guardian.node.getConnections())
      for (const s of c.streams) if (s.protocol === PROTOCOLS.push) s.abort(new Error('gone'))
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const r = await sessions.push(ref, { ...v.pushArgs({ manifest }), inline: fresh(manifest) })
    expect(r.receipt.version).toBe(5)
    expect(opened).toBe(2)
  })

  it('an inline chunk the manifest does not list: refused, nothing stored', async () => {
    const before = held()
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const stray = new Uint8Array(randomBytes(32))
    const args = v.pushArgs({ manifest })
    const code = await remoteCode(() =>
      sessions.push(ref, {
        ...args,
        chunk: async (id) => (toHex(id) === toHex(stray) ? new Uint8Array(randomBytes(500)) : args.chunk(id)),
        inline: [...fresh(manifest), stray],
      }),
    )
    expect(code).toBe('PROTOCOL_VIOLATION')
    expect(held()).toEqual(before)
    // the version itself is fine: sent honestly, it is taken
    expect((await sessions.push(ref, { ...args, inline: fresh(manifest) })).receipt.version).toBe(6)
  })

  it('inline bytes that are not the chunk they claim to be: refused, nothing stored', async () => {
    const before = held()
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const args = v.pushArgs({ manifest })
    const code = await remoteCode(() =>
      sessions.push(ref, {
        ...args,
        chunk: async (id) => new Uint8Array(randomBytes((await args.chunk(id)).length)),
        inline: fresh(manifest),
      }),
    )
    expect(code).toBe('CHUNK_INTEGRITY')
    expect(held()).toEqual(before)
    expect((await sessions.push(ref, { ...args, inline: fresh(manifest) })).receipt.version).toBe(7)
  })

  it('more than MAX_INLINE_BYTES inline: refused before anything is checked or stored', async () => {
    const before = held()
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const args = v.pushArgs({ manifest })
    const ids = fresh(manifest)
    const code = await remoteCode(() =>
      sessions.push(ref, {
        ...args,
        chunk: async () => new Uint8Array(randomBytes(MAX_INLINE_BYTES / 2 + 1)),
        inline: [ids[0]!, ids[0]!],
      }),
    )
    expect(code).toBe('PROTOCOL_VIOLATION')
    expect(held()).toEqual(before)
    expect((await sessions.push(ref, { ...args, inline: ids })).receipt.version).toBe(8)
  })

  it('a coordinator that speaks only /kith/push/1.0.0: one offer per stream, the chunks asked for', async () => {
    const { manifest } = await v.nextVersion(await tempDir(), 2000)
    const args = v.pushArgs({ manifest })
    const stream = await openStream(node, ref.peerId, ref.addrs, PROTOCOLS.pushOnce)
    expect(stream.protocol).toBe(PROTOCOLS.pushOnce)
    const wire = new Wire(stream, PROTOCOLS.pushOnce, MSG.need.maxBytes)
    await wire.send(MSG.offer, { manifest: args.manifest })
    const { chunks: need } = await wire.receive(MSG.need)
    expect(need.length).toBeGreaterThan(0)
    for (const id of need) {
      await wire.send(MSG.chunk, { id, data: await args.chunk(id) })
      await wire.receive(MSG.ack)
    }
    const receipt = openReceipt((await wire.receive(MSG.receipt)).receipt)
    expect(receipt.version).toBe(9)
    // and the guardian closes its end: no second offer on this stream
    await expect(wire.receive(MSG.need)).rejects.toThrow()
    await stream.close().catch(() => undefined)
  })

  it('a stranger is refused on both push protocols before its offer is read', async () => {
    const stranger = await strangerNode('127.0.0.3')
    try {
      for (const protocol of [PROTOCOLS.push, PROTOCOLS.pushOnce]) {
        const stream = await openStream(stranger, ref.peerId, ref.addrs, protocol)
        const wire = new Wire(stream, protocol, MSG.need.maxBytes)
        const { manifest } = await v.nextVersion(await tempDir(), 2000)
        await wire.send(MSG.offer, { manifest: manifest.bytes }).catch(() => undefined)
        expect(await remoteCode(() => wire.receive(MSG.need))).toBe('UNAUTHORIZED_PEER')
      }
    } finally {
      await stranger.stop()
    }
    expect(held().head).toBe(9)
  })
})
