/**
 * Attack: discovery and reading. From only a guardian's address, a stranger used to learn the vault id
 * from its gossip subscriptions, receive the signed roster (every friend's address) with its request,
 * and then fetch heads, manifests and chunks. Now it learns no vault id, no roster and no data before
 * the guardian's human approves; a live request reads the signed head only. The same holds on a fetch
 * session (`/kith/fetch/2.0.0`, many requests on one stream), which checks every request on its own.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openCode } from '../../src/ceremony/request.js'
import { toHex } from '../../src/crypto/bytes.js'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { sha256 } from '../../src/crypto/hash.js'
import { decodeText } from '../../src/crypto/text.js'
import { approveRequest } from '../../src/guardian/approvals.js'
import { fetchFromPeer, type PeerRef, requestRecovery } from '../../src/p2p/client.js'
import { FetchSession } from '../../src/p2p/fetch-session.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS } from '../../src/p2p/wire.js'
import { GuardianChunks } from '../../src/recovery/chunks.js'
import { openHead } from '../../src/replica/head.js'
import { openManifest } from '../../src/replica/manifest.js'
import { kithJson, statusJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'
import { remoteCode } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
const nodes: KithNode[] = []
afterAll(async () => {
  for (const n of nodes) await n.stop()
})

describe('attack: discovery and reading by a stranger who knows a guardian address', () => {
  let g: LocalGuardian
  let ref: PeerRef
  let vaultId: Uint8Array
  let stranger: KithNode
  const key = generateEciesKeyPair()

  beforeAll(async () => {
    const { gs, work, v } = await localVault(2, 2, 2, fleet)
    g = gs[0]!
    const scb = join(work, 'channel.backup')
    // several chunks, for the fetch session's replies in order
    await writeFile(scb, randomBytes(3 * 1024 * 1024))
    await kithJson(...v('add-source', 'lnd-scb', scb))
    await kithJson(...v('backup'))
    vaultId = decodeText('vault', (await statusJson(...v('status', '--offline')))['vault'] as string)
    ref = { peerId: peerIdBytes(g.guardian.node.peerId), addrs: g.guardian.addrs }
    stranger = await strangerNode('127.0.0.2')
    nodes.push(stranger)
  })

  it("learns no vault id from the guardian's gossip subscriptions", async () => {
    await stranger.dial(g.guardian.node.peerId, { signal: AbortSignal.timeout(5000) }).catch(async () => {
      await stranger.peerStore.merge(g.guardian.node.peerId, { multiaddrs: g.guardian.node.getMultiaddrs() })
      await stranger.dial(g.guardian.node.peerId)
    })
    // gossipsub keeps the topics each connected peer announced
    const topics = () => [
      ...(stranger.services.pubsub as unknown as { topics: Map<string, unknown> }).topics.keys(),
    ]
    await waitUntil(() => topics().length > 0)
    expect(topics().every((t) => /^\/kith\/heads\/2\.0\.0\/[0-9a-f]{64}$/.test(t))).toBe(true)
    expect(topics().some((t) => t.includes(toHex(vaultId)))).toBe(false)
  })

  it("a request tells it nothing of the vault's guardians before the human approves", async () => {
    const reply = await requestRecovery(stranger, ref, vaultId, key.publicKey)
    expect(reply.state).toBe('pending')
    expect(reply.roster).toBeUndefined()
  })

  it('its live request reads the signed head (freshness needs it), never a manifest or chunk', async () => {
    const head = openHead(await fetchFromPeer(stranger, ref, vaultId, { what: 'head' }))
    expect(head.version).toBe(1)
    const manifest = () => fetchFromPeer(stranger, ref, vaultId, { what: 'manifest', version: 1 })
    expect(await remoteCode(manifest)).toBe('UNAUTHORIZED_PEER')
    const chunk = () => fetchFromPeer(stranger, ref, vaultId, { what: 'chunk', id: new Uint8Array(32) })
    expect(await remoteCode(chunk)).toBe('UNAUTHORIZED_PEER')
    // on a session: the head is answered, the manifest after it refused, and the session is over
    const session = (await FetchSession.open(stranger, ref))!
    expect(openHead(await session.fetch(vaultId, { what: 'head' })).version).toBe(1)
    const refused = session.fetch(vaultId, { what: 'manifest', version: 1 })
    const after = session.fetch(vaultId, { what: 'head' })
    expect(await remoteCode(() => refused)).toBe('UNAUTHORIZED_PEER')
    await expect(after).rejects.toThrow()
    expect(session.broken).toBe(true)
  })

  it('a stranger without a request reads nothing at all', async () => {
    const other = await strangerNode('127.0.0.3')
    nodes.push(other)
    expect(await remoteCode(() => fetchFromPeer(other, ref, vaultId, { what: 'head' }))).toBe(
      'UNAUTHORIZED_PEER',
    )
    const session = (await FetchSession.open(other, ref))!
    expect(await remoteCode(() => session.fetch(vaultId, { what: 'head' }))).toBe('UNAUTHORIZED_PEER')
  })

  it('once the human approved with the code, the requester gets the roster and reads the data', async () => {
    const reply = await requestRecovery(stranger, ref, vaultId, key.publicKey)
    approveRequest(g.guardian.db, undefined, openCode(key.secretKey, reply.requestId, reply.sealedCode!))
    const approved = await requestRecovery(stranger, ref, vaultId, key.publicKey)
    expect(approved.roster).toBeDefined()
    expect(
      (await fetchFromPeer(stranger, ref, vaultId, { what: 'manifest', version: 1 })).length,
    ).toBeGreaterThan(0)
  })

  it('approved, it reads a version on one session: requests in a row, replies in order, each the bytes asked; NOT_HELD is an answer, a refusal the end', async () => {
    const session = (await FetchSession.open(stranger, ref))!
    const manifest = openManifest(await session.fetch(vaultId, { what: 'manifest', version: 1 }))
    const ids = manifest.chunks.map((c) => c.id)
    // every request goes out before any reply is read
    const replies = await Promise.all(ids.map((id) => session.fetch(vaultId, { what: 'chunk', id })))
    expect(ids.length).toBeGreaterThan(1)
    expect(replies.map((bytes) => toHex(sha256(bytes)))).toEqual(ids.map(toHex))
    // a chunk it does not hold is named, and the session goes on
    const missing = session.fetch(vaultId, { what: 'chunk', id: new Uint8Array(32) })
    const after = session.fetch(vaultId, { what: 'chunk', id: ids[0]! })
    expect(await remoteCode(() => missing)).toBe('NOT_HELD')
    expect(toHex(sha256(await after))).toBe(toHex(ids[0]!))
    expect(session.broken).toBe(false)
    // a refusal ends it: a peer's sealed roster is for members only, and nothing after it is answered
    const refused = session.fetch(vaultId, { what: 'roster' })
    const late = session.fetch(vaultId, { what: 'chunk', id: ids[0]! })
    expect(await remoteCode(() => refused)).toBe('UNAUTHORIZED_PEER')
    await expect(late).rejects.toThrow()
    expect(session.broken).toBe(true)
  })

  it("a restore's chunks come on sessions, and from a guardian that speaks only one fetch per stream", async () => {
    const manifest = openManifest(
      await fetchFromPeer(stranger, ref, vaultId, { what: 'manifest', version: 1 }),
    )
    const ids = manifest.chunks.map((c) => c.id)
    const target = { label: 'g', ...ref }
    const read = async () => {
      const source = new GuardianChunks(stranger, vaultId, [target], ids, () => {
        throw new Error('no guardian here serves bad bytes')
      })
      try {
        for (const id of ids) expect(toHex(sha256((await source.get(id))!))).toBe(toHex(id))
      } finally {
        await source.close()
      }
    }
    const opened = vi.spyOn(FetchSession, 'open')
    // what each of the stranger's opens gave: a session, or none (the guardian does not speak 2.0.0; or
    // it failed). The guardians of this process open sessions too, with each other, when they catch up
    const gave = async (from: number) =>
      Promise.all(
        opened.mock.results
          .slice(from)
          .filter((_, i) => opened.mock.calls[from + i]![0] === stranger)
          .map((r) => Promise.resolve(r.value).catch(() => undefined)),
      )
    await read()
    expect((await gave(0))[0]).toBeInstanceOf(FetchSession)
    // an older guardian (the last test here: the protocol stays gone): the chunks still come, a stream
    // each. A busy machine may break a session and open another (the restore allows it), so the test
    // looks at what the opens gave, not how many there were
    const before = opened.mock.calls.length
    await g.guardian.node.unhandle(PROTOCOLS.fetchSession)
    await read()
    const after = await gave(before)
    expect(after.length).toBeGreaterThan(0)
    for (const s of after) expect(s).toBeUndefined()
    opened.mockRestore()
  })
})
