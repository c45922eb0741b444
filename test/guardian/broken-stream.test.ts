/**
 * A peer's stream that breaks is said as what it is (in-process, real libp2p on 127.0.0.1, a real
 * guardian and SQLite): a write waiting for a peer that resets fails with STREAM_BROKEN, never with the
 * stream's close event itself; a coordinator that vanishes mid-push is "the coordinator's stream broke
 * mid-push (reset)" on the guardian's terminal, not an internal error, and the guardian goes on.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite } from '../../src/p2p/client.js'
import { StreamBrokenError } from '../../src/p2p/errors.js'
import { MSG } from '../../src/p2p/messages.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, testVault } from '../helpers/vault.js'
import { waitUntil } from '../helpers/wait.js'

const TEST_PROTOCOL = '/kith-test/silent/1.0.0'

let guardian: Guardian
let node: KithNode
const lines: string[] = []

beforeAll(async () => {
  guardian = new Guardian({ dataDir: await tempDir('kith-broken-'), onEvent: (l) => lines.push(l) })
  await guardian.start()
  node = await coordinatorNode()
})

afterAll(async () => {
  await node.stop()
  await guardian.stop()
})

describe('a broken stream says what happened', () => {
  it('a write waiting for a peer that resets fails with STREAM_BROKEN, not with an event', async () => {
    const peer = await coordinatorNode()
    try {
      // the peer stops reading; once the sender's write waits for room, the peer resets, which ends it
      let far: Stream | undefined
      await peer.handle(TEST_PROTOCOL, (s: Stream) => {
        s.pause()
        far = s
      })
      const stream = await openStream(node, peerIdBytes(peer.peerId), peer.getMultiaddrs().map(String), [
        TEST_PROTOCOL,
      ])
      const wire = new Wire(stream, TEST_PROTOCOL, MSG.fetched.maxBytes)
      const sent = wire.send(MSG.fetched, { data: new Uint8Array(randomBytes(2 * 1024 * 1024)) })
      await waitUntil(() => far !== undefined && stream.writableNeedsDrain)
      far!.abort(new Error('gone'))
      const err = await sent.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(StreamBrokenError)
      expect(err).toMatchObject({ code: 'STREAM_BROKEN', how: 'reset' })
    } finally {
      await peer.stop()
    }
  })

  it("a coordinator gone mid-push: the guardian says the coordinator's stream broke, and takes the next push", async () => {
    const ref = { peerId: peerIdBytes(guardian.node.peerId), addrs: guardian.addrs }
    const phantom = {
      peerId: peerIdBytes((await createKithNode({ privateKey: await generateKeyPair('Ed25519') })).peerId),
      addrs: [],
    }
    const v = await testVault(node, [ref, phantom], 2, 1)
    await enrollWithInvite(node, localInvite(guardian), {
      roster: v.roster.bytes,
      share: v.shares[0]!.bytes,
      label: 'vault',
    })
    // about three chunks of 1 MiB: the coordinator vanishes after the first
    const { manifest } = await v.nextVersion(await tempDir(), 3 * 1024 * 1024)
    const args = v.pushArgs({ manifest })
    const stream = await openStream(node, ref.peerId, ref.addrs, PROTOCOLS.push)
    const wire = new Wire(stream, PROTOCOLS.push, MSG.need.maxBytes)
    await wire.send(MSG.offer, { manifest: args.manifest })
    const [needed] = await wire.receiveEither(MSG.need, MSG.receipt)
    expect(needed!.chunks.length).toBeGreaterThan(1)
    const first = needed!.chunks[0]!
    await wire.send(MSG.chunk, { id: first, data: await args.chunk(first) })
    await wire.receive(MSG.ack)
    // the coordinator's process dies here: its stream is reset under the guardian's next read
    stream.abort(new Error('killed'))
    await waitUntil(
      () => lines.some((l) => l.includes("the coordinator's stream broke mid-push (reset)")),
      () => lines.join('\n'),
    )
    expect(lines.filter((l) => /internal error|\[object/.test(l))).toEqual([])
    expect(guardian.db.vaults.get(v.roster.vaultId)?.headVersion ?? 0).toBe(0)
    // and the coordinator, back, pushes the same version whole
    const again = await openStream(node, ref.peerId, ref.addrs, PROTOCOLS.pushOnce)
    const w2 = new Wire(again, PROTOCOLS.pushOnce, MSG.need.maxBytes)
    await w2.send(MSG.offer, { manifest: args.manifest })
    for (const id of (await w2.receive(MSG.need)).chunks) {
      await w2.send(MSG.chunk, { id, data: await args.chunk(id) })
      await w2.receive(MSG.ack)
    }
    await w2.receive(MSG.receipt)
    await again.close()
    expect(guardian.db.vaults.get(v.roster.vaultId)?.headVersion).toBe(1)
  })
})
