import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Guardian } from '../../src/guardian/service.js'
import { enrollWithInvite } from '../../src/p2p/client.js'
import { inviteSecretHash, newInviteSecret } from '../../src/p2p/invite.js'
import { MSG } from '../../src/p2p/messages.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { openStream, peerIdBytes } from '../../src/p2p/peers.js'
import { PROTOCOLS, Wire } from '../../src/p2p/wire.js'
import { sealManifest } from '../../src/replica/manifest.js'
import { remoteCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, localInvite, pushVersion, testVault } from '../helpers/vault.js'

let guardian: Guardian
let node: KithNode
let ref: { peerId: Uint8Array; addrs: readonly string[] }

function invite(quota = 10_000_000, expiresAt = Date.now() + 60_000) {
  return localInvite(guardian, quota, expiresAt)
}

/** A vault whose roster names this guardian and a second (phantom) one, enrolled here. */
async function enroll(quota?: number) {
  const phantom = {
    peerId: peerIdBytes((await createKithNode({ privateKey: await generateKeyPair('Ed25519') })).peerId),
    addrs: [],
  }
  const v = await testVault(node, [ref, phantom], 2, 1)
  await enrollWithInvite(node, invite(quota), {
    roster: v.roster.bytes,
    share: v.shares[0]!.bytes,
    label: 'vault',
  })
  return v
}

function snapshot(vaultId: Uint8Array) {
  const v = guardian.db.vaults.get(vaultId)
  const chunks = { n: guardian.db.versions.usage(vaultId).chunks }
  return { head: v?.headVersion, bytes: v?.bytesStored, chunks: chunks.n }
}

beforeAll(async () => {
  guardian = new Guardian({ dataDir: await tempDir('kith-bad-'), antiEntropyMs: 3_600_000 })
  await guardian.start()
  node = await coordinatorNode()
  ref = {
    peerId: peerIdBytes(guardian.node.peerId),
    addrs: guardian.addrs,
  }
})

afterAll(async () => {
  await node.stop()
  await guardian.stop()
})

describe('bad inputs give a named error and store nothing', () => {
  it('a reused, unknown or expired invite', async () => {
    const phantom = { peerId: new Uint8Array(randomBytes(38)), addrs: [] }
    const v = await testVault(node, [ref, phantom], 2, 1)
    const inv = invite()
    await enrollWithInvite(node, inv, { roster: v.roster.bytes, share: v.shares[0]!.bytes, label: 'x' })
    expect(
      await remoteCode(() =>
        enrollWithInvite(node, inv, { roster: v.roster.bytes, share: v.shares[0]!.bytes, label: 'x' }),
      ),
    ).toBe('INVITE_USED')
    const unknown = { ...inv, secret: newInviteSecret() }
    expect(
      await remoteCode(() =>
        enrollWithInvite(node, unknown, { roster: v.roster.bytes, share: v.shares[0]!.bytes, label: 'x' }),
      ),
    ).toBe('INVITE_UNKNOWN')
    const expired = invite(1000, Date.now() - 1)
    expect(
      await remoteCode(() =>
        enrollWithInvite(node, expired, { roster: v.roster.bytes, share: v.shares[0]!.bytes, label: 'x' }),
      ),
    ).toBe('INVITE_EXPIRED')
  })

  it('a roster that does not name this guardian', async () => {
    const other = { peerId: new Uint8Array(randomBytes(38)), addrs: [] }
    const v = await testVault(node, [other, { ...other, peerId: new Uint8Array(randomBytes(38)) }], 2, 1)
    const inv = invite()
    expect(
      await remoteCode(() =>
        enrollWithInvite(node, inv, { roster: v.roster.bytes, share: v.shares[0]!.bytes, label: 'x' }),
      ),
    ).toBe('ROSTER_MISMATCH')
    expect(guardian.db.vaults.get(v.roster.vaultId)).toBeUndefined()
    // the invite was not consumed by the failed attempt
    expect(() => guardian.db.vaults.usableInvite(inviteSecretHash(inv.secret), Date.now())).not.toThrow()
  })

  it('an unknown peer may neither push nor fetch', async () => {
    const v = await enroll()
    const stranger = await createKithNode({ privateKey: await generateKeyPair('Ed25519') })
    try {
      const v1 = await v.nextVersion(await tempDir())
      expect(await remoteCode(() => pushVersion(stranger, ref, v.pushArgs(v1)))).toBe('UNAUTHORIZED_PEER')
      const { fetchFromPeer } = await import('../../src/p2p/client.js')
      expect(await remoteCode(() => fetchFromPeer(stranger, ref, v.roster.vaultId, { what: 'head' }))).toBe(
        'UNAUTHORIZED_PEER',
      )
      expect(snapshot(v.roster.vaultId)).toEqual({ head: 0, bytes: 0, chunks: 0 })
    } finally {
      await stranger.stop()
    }
  })

  it('a manifest for a vault it does not keep', async () => {
    const phantom = { peerId: new Uint8Array(randomBytes(38)), addrs: [] }
    const v = await testVault(node, [ref, phantom], 2, 1)
    const v1 = await v.nextVersion(await tempDir())
    expect(await remoteCode(() => pushVersion(node, ref, v.pushArgs(v1)))).toBe('UNKNOWN_VAULT')
  })

  it('a forged manifest signature', async () => {
    const v = await enroll()
    const v1 = await v.nextVersion(await tempDir())
    const forged = v1.manifest.bytes.slice()
    forged[forged.length - 5]! ^= 1
    expect(await remoteCode(() => pushVersion(node, ref, { ...v.pushArgs(v1), manifest: forged }))).toBe(
      'BAD_SIGNATURE',
    )
    expect(snapshot(v.roster.vaultId)).toEqual({ head: 0, bytes: 0, chunks: 0 })
  })

  it('a rollback, and an equivocation (kept as evidence, vault flagged)', async () => {
    const v = await enroll()
    const dir = await tempDir()
    const v1 = await v.nextVersion(dir)
    const v2 = await v.nextVersion(dir)
    await pushVersion(node, ref, v.pushArgs(v2))
    const before = snapshot(v.roster.vaultId)
    expect(await remoteCode(() => pushVersion(node, ref, v.pushArgs(v1)))).toBe('ROLLBACK')
    // a second coordinator signs a different version 2
    const evil = sealManifest(
      { ...v2.manifest, createdAt: v2.manifest.createdAt + 1, body: { sources: [], files: [] } },
      v.keys.manifestKey,
      v.vaultSecretKey,
    )
    expect(
      await remoteCode(() =>
        pushVersion(node, ref, {
          ...v.pushArgs(v2),
          manifest: evil.bytes,
          manifestHash: evil.hash,
        }),
      ),
    ).toBe('EQUIVOCATION')
    expect(snapshot(v.roster.vaultId)).toEqual(before)
    expect(guardian.db.vaults.get(v.roster.vaultId)?.equivocation).toBe(true)
    const evidence = { n: guardian.db.versions.evidence(v.roster.vaultId).length }
    expect(evidence).toEqual({ n: 1 })
  })

  it('a chunk whose bytes do not match its id', async () => {
    const v = await enroll()
    const v1 = await v.nextVersion(await tempDir())
    const args = v.pushArgs(v1)
    const wrong = async (id: Uint8Array) => {
      const good = await args.chunk(id)
      const bad = good.slice()
      bad[bad.length - 1]! ^= 0xff
      return bad
    }
    expect(await remoteCode(() => pushVersion(node, ref, { ...args, chunk: wrong }))).toBe('CHUNK_INTEGRITY')
    expect(snapshot(v.roster.vaultId)).toEqual({ head: 0, bytes: 0, chunks: 0 })
  })

  it('quota exceeded', async () => {
    const v = await enroll(2000)
    const v1 = await v.nextVersion(await tempDir(), 5000)
    expect(await remoteCode(() => pushVersion(node, ref, v.pushArgs(v1)))).toBe('QUOTA_EXCEEDED')
    expect(snapshot(v.roster.vaultId)).toEqual({ head: 0, bytes: 0, chunks: 0 })
  })

  it('a length prefix of 2^32 is refused unread and the guardian stays healthy', async () => {
    const v = await enroll()
    const stream = await openStream(node, ref.peerId, ref.addrs, PROTOCOLS.push)
    // unsigned varint of 2^32: 80 80 80 80 10
    stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10))
    const wire = new Wire(stream, PROTOCOLS.push, MSG.need.maxBytes)
    await expect(wire.receive(MSG.need)).rejects.toThrow()
    // still serving
    const v1 = await v.nextVersion(await tempDir())
    expect((await pushVersion(node, ref, v.pushArgs(v1))).receipt.version).toBe(1)
  })

  it('a message of the wrong kind at a step', async () => {
    await enroll()
    const stream = await openStream(node, ref.peerId, ref.addrs, PROTOCOLS.push)
    const wire = new Wire(stream, PROTOCOLS.push, MSG.need.maxBytes)
    await wire.send(MSG.fetch, { vaultId: new Uint8Array(32), what: 'head' })
    expect(await remoteCode(() => wire.receive(MSG.need))).toBe('PROTOCOL_VIOLATION')
  })
})
