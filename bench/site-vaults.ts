/**
 * Many vaults driven from one process, for bench:site: each vault has a coordinator of its own (its own
 * key, and a libp2p node that dials from a loopback address of its own, as friends dial from their own
 * hosts), a roster signed with its vault key, a share for each guardian and small versions, enrolled and
 * pushed with kith's own client code (p2p/client.ts enrollWithInvite, p2p/push-session.ts PushSessions),
 * as test/helpers/vault.ts does for the scenario tests. Invites are made in each guardian's database
 * beside its running daemon, as `kith guardian invite` makes them (guardian/setup.ts), a thousand at once.
 * A bench helper: nothing in kith imports it, and it never logs an invite secret or a share.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { deriveDataKeys, keyCommitment } from '../src/crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../src/crypto/schnorr.js'
import { guardianPaths } from '../src/guardian/config.js'
import { withGuardianStore } from '../src/guardian/setup.js'
import { type Log, silentLog } from '../src/log.js'
import { enrollWithInvite, type PeerRef } from '../src/p2p/client.js'
import { type Invite, inviteSecretHash, newInviteSecret } from '../src/p2p/invite.js'
import { createKithNode, type KithNode } from '../src/p2p/node.js'
import { peerIdBytes } from '../src/p2p/peers.js'
import { PushSessions } from '../src/p2p/push-session.js'
import { sealChunk } from '../src/replica/chunk.js'
import { type Manifest, sealManifest, ZERO_HASH } from '../src/replica/manifest.js'
import { type Roster, signRoster } from '../src/replica/roster.js'
import { splitDataKey } from '../src/shares/split.js'

/** A running guardian daemon as a vault names it: its peer ID and the addresses it wrote (addrs.json). */
export async function guardianRef(dir: string): Promise<PeerRef> {
  const addrs = JSON.parse(await readFile(guardianPaths(dir).runtime, 'utf8')) as string[]
  const id = /\/p2p\/([^/]+)$/.exec(addrs[0]!)![1]!
  return { peerId: peerIdBytes(peerIdFromString(id)), addrs }
}

/** `n` one-time invites of the guardian in `dir`, made in its database beside the running daemon. */
export async function makeInvites(dir: string, guardian: PeerRef, n: number): Promise<Invite[]> {
  const now = Date.now()
  const quota = 64 * 1024 * 1024
  const expiresAt = now + 24 * 3_600_000
  return withGuardianStore(dir, (db) =>
    Array.from({ length: n }, () => {
      const secret = newInviteSecret()
      // no release delay: nothing here recovers, and a site's friend may choose none
      db.vaults.createInvite(
        { secretHash: inviteSecretHash(secret), label: 'site', quota, expiresAt, releaseDelay: 0 },
        now,
      )
      return { peerId: guardian.peerId, addrs: [...guardian.addrs], secret, quota, expiresAt, label: 'site' }
    }),
  )
}

/** Coordinator `i`'s own loopback address, in a /24 of its own (127.1.0.1, 127.1.1.1, …; 127.0.0.x is kept). */
export const coordinatorHost = (i: number): string => `127.${1 + (i >> 8)}.${i & 255}.1`

/** One vault and its coordinator: `open` it to push, `close` it to let its node go. */
export class SiteVault {
  private node: KithNode | undefined
  private sessions: PushSessions | undefined
  private previous: Manifest | undefined
  /** The guardians (by index) this vault is enrolled with. */
  private readonly enrolled = new Set<number>()

  private constructor(
    private readonly index: number,
    private readonly key: Ed25519PrivateKey,
    private readonly vaultSecretKey: Uint8Array,
    private readonly keys: ReturnType<typeof deriveDataKeys>,
    readonly roster: Roster,
    private readonly shares: readonly { bytes: Uint8Array }[],
    readonly guardians: readonly PeerRef[],
    private readonly log: Log,
  ) {}

  /** A k-of-n vault (write quorum w) of these guardians, coordinated by a new key; not yet enrolled. */
  static async create(
    index: number,
    guardians: readonly PeerRef[],
    k: number,
    w: number,
    log: Log = silentLog,
  ): Promise<SiteVault> {
    const key = await generateKeyPair('Ed25519')
    const vaultSecretKey = generateSecretKey()
    const dataKey = new Uint8Array(randomBytes(32))
    const roster = signRoster(
      {
        vaultId: schnorrPublicKey(vaultSecretKey),
        epoch: 1,
        k,
        w,
        commitment: keyCommitment(dataKey),
        coordinator: peerIdBytes(peerIdFromPrivateKey(key)),
        guardians: guardians.map((g, i) => ({
          peerId: g.peerId,
          addrs: g.addrs,
          label: `guardian ${i + 1}`,
        })),
        createdAt: Date.now(),
      },
      vaultSecretKey,
    )
    const shares = await splitDataKey(dataKey, { k, n: guardians.length, epoch: 1, vaultSecretKey })
    return new SiteVault(index, key, vaultSecretKey, deriveDataKeys(dataKey), roster, shares, guardians, log)
  }

  /** Start its coordinator's node (dialing from its own address). */
  async open(): Promise<void> {
    if (this.node !== undefined) return
    this.node = await createKithNode({ privateKey: this.key, dialFrom: coordinatorHost(this.index) })
    this.sessions = new PushSessions(this.node, this.log)
  }

  /** Stop its node: its connections to the guardians close. */
  async close(): Promise<void> {
    this.sessions?.close()
    await this.node?.stop()
    this.node = undefined
    this.sessions = undefined
  }

  /**
   * Enroll with each guardian (guardian i gets share i), one invite each, all at once; called again after
   * a failure, only with those not enrolled yet.
   */
  async enroll(invites: readonly Invite[]): Promise<void> {
    const node = this._node()
    const results = await Promise.allSettled(
      invites.map(async (invite, i) => {
        if (this.enrolled.has(i)) return
        await enrollWithInvite(
          node,
          invite,
          { roster: this.roster.bytes, share: this.shares[i]!.bytes, label: 'site' },
          { log: this.log },
        )
        this.enrolled.add(i)
      }),
    )
    for (const r of results) if (r.status === 'rejected') throw r.reason
  }

  /**
   * One small version (one chunk of 1 KiB, inline with the offer, as a coordinator sends a small version)
   * pushed to every guardian at once; the milliseconds until the last receipt.
   */
  async backup(): Promise<number> {
    const sessions = this.sessions
    if (sessions === undefined) throw new Error('vault not open')
    const sealed = sealChunk(this.keys, randomBytes(1024))
    const m = sealManifest(
      {
        vaultId: this.roster.vaultId,
        epoch: 1,
        version: (this.previous?.version ?? 0) + 1,
        parent: this.previous?.hash ?? ZERO_HASH,
        createdAt: Date.now(),
        chunks: [{ id: sealed.id, size: sealed.stored.length }],
        body: { sources: [], files: [] },
      },
      this.keys.manifestKey,
      this.vaultSecretKey,
    )
    this.previous = m
    const t = performance.now()
    await Promise.all(
      this.guardians.map((g) =>
        sessions.push(g, {
          manifest: m.bytes,
          manifestHash: m.hash,
          chunk: async () => sealed.stored,
          inline: [sealed.id],
        }),
      ),
    )
    return performance.now() - t
  }

  private _node(): KithNode {
    if (this.node === undefined) throw new Error('vault not open')
    return this.node
  }
}

/** Run `fn` on each of `items`, at most `parallel` at once. */
export async function eachAtMost<T>(
  items: readonly T[],
  parallel: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker))
}
