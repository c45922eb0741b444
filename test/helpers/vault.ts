/** A test vault: keys, a roster naming real guardian peers and a coordinator, shares, and versions. */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { deriveDataKeys, keyCommitment } from '../../src/crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../../src/crypto/schnorr.js'
import type { Guardian } from '../../src/guardian/service.js'
import { type CallOptions, enrollWithInvite, type PeerRef } from '../../src/p2p/client.js'
import { type Invite, inviteSecretHash, newInviteSecret } from '../../src/p2p/invite.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { type PushArgs, type PushResult, PushSessions } from '../../src/p2p/push-session.js'
import { buildVersion } from '../../src/replica/build.js'
import { headOfManifest, type JournalMark, type Manifest } from '../../src/replica/manifest.js'
import { signRoster } from '../../src/replica/roster.js'
import { splitDataKey } from '../../src/shares/split.js'
import { MemoryChunkStore } from './memory-store.js'

export interface GuardianRef {
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
}

export async function coordinatorNode(): Promise<KithNode> {
  return createKithNode({ privateKey: await generateKeyPair('Ed25519') })
}

export async function testVault(
  node: KithNode,
  guardians: readonly GuardianRef[],
  k = 2,
  w = 2,
  firstEpoch = 1,
) {
  const vaultSecretKey = generateSecretKey()
  const dataKey = new Uint8Array(randomBytes(32))
  const keys = deriveDataKeys(dataKey)
  let epoch = firstEpoch
  /** A roster for `at` naming `members`, with its split of the (same) data key. */
  const rosterAt = async (at: number, members: readonly GuardianRef[], coordinator = node) => {
    const roster = signRoster(
      {
        vaultId: schnorrPublicKey(vaultSecretKey),
        epoch: at,
        k,
        w,
        commitment: keyCommitment(dataKey),
        coordinator: coordinator.peerId.toMultihash().bytes,
        guardians: members.map((g, i) => ({ peerId: g.peerId, addrs: g.addrs, label: `guardian ${i + 1}` })),
        createdAt: Date.now(),
      },
      vaultSecretKey,
    )
    const shares = await splitDataKey(dataKey, { k, n: members.length, epoch: at, vaultSecretKey })
    return { roster, shares }
  }
  const { roster, shares } = await rosterAt(epoch, guardians)
  /** Later versions are built in this epoch. */
  const setEpoch = (e: number) => {
    epoch = e
  }
  const chunks = new MemoryChunkStore()
  let previous: Manifest | undefined
  /** Build the next version from a file with `size` random bytes (its snapshot at journal `marks`). */
  const nextVersion = async (dir: string, size = 5000, marks?: readonly JournalMark[]) => {
    const path = join(dir, 'channel.backup')
    await writeFile(path, randomBytes(size))
    const built = await buildVersion({
      vaultSecretKey,
      dataKeys: keys,
      epoch,
      sources: [{ name: 'lnd-scb', kind: 'lnd-scb', path }],
      store: chunks,
      workers: 0,
      ...(previous ? { previous } : {}),
      ...(marks ? { marks } : {}),
    })
    previous = built.manifest
    const head = headOfManifest(built.manifest)
    return { manifest: built.manifest, head }
  }
  const pushArgs = (v: { manifest: Manifest }) => ({
    manifest: v.manifest.bytes,
    manifestHash: v.manifest.hash,
    chunk: async (id: Uint8Array) => (await chunks.get(id))!,
  })
  return { vaultSecretKey, dataKey, keys, roster, shares, chunks, nextVersion, pushArgs, rosterAt, setEpoch }
}

/** An invite made directly in an in-process guardian's store (the CLI path is tested with daemons). */
export function localInvite(
  g: Guardian,
  quota = 1e9,
  expiresAt = Date.now() + 60_000,
  label = 'test',
): Invite {
  const secret = newInviteSecret()
  // no release delay: scenarios approve and restore at once (a guardian's default is 24 h)
  g.db.vaults.createInvite(
    { secretHash: inviteSecretHash(secret), label, quota, expiresAt, releaseDelay: 0 },
    Date.now(),
  )
  return { peerId: peerIdBytes(g.node.peerId), addrs: g.addrs, secret, quota, expiresAt, label }
}

/** Enroll `v` with each guardian, guardian i getting share i. */
export async function enrollAll(
  node: KithNode,
  guardians: readonly Guardian[],
  v: { roster: { bytes: Uint8Array }; shares: readonly { bytes: Uint8Array }[] },
) {
  for (const [i, g] of guardians.entries()) {
    await enrollWithInvite(node, localInvite(g), {
      roster: v.roster.bytes,
      share: v.shares[i]!.bytes,
      label: 'vault',
    })
  }
}

/**
 * One push on a session of its own, closed once the receipt is in: for a caller that pushes once and
 * keeps no sessions.
 */
export async function pushVersion(
  node: KithNode,
  guardian: PeerRef,
  args: PushArgs,
  options?: CallOptions,
): Promise<PushResult> {
  const sessions = new PushSessions(node, options?.log)
  try {
    return await sessions.push(guardian, args, options)
  } finally {
    sessions.close()
  }
}
