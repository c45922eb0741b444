/**
 * Setting a guardian up and looking at it, for the CLI and for tests: create its data directory
 * (identity, database, config), make invites, and summarize the vaults it keeps. The daemon itself is
 * service.ts; these run beside it on the same files.
 */

import { stat } from 'node:fs/promises'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeText } from '../crypto/text.js'
import { ensurePrivateDir } from '../disk/atomic.js'
import { lockHolder } from '../disk/lock.js'
import { inviteSecretHash, inviteToText, newInviteSecret } from '../p2p/invite.js'
import { loadOrCreatePeerKey, loadPeerKey } from '../p2p/peer-key.js'
import { peerIdBytes } from '../p2p/peers.js'
import { checkLabel } from '../text.js'
import {
  DEFAULT_PORT,
  guardianPaths,
  reachableAddrs,
  readGuardianConfig,
  writeGuardianConfig,
} from './config.js'
import { GuardianDirInUseError, GuardianKeyMissingError, NoInviteAddressError } from './errors.js'
import { GuardianStore } from './store/index.js'
import { readPageRuntime } from './web/runtime.js'

/** Create a guardian in `dataDir` (0700): its libp2p key (0600), its database and its config. */
export async function initGuardian(
  dataDir: string,
  options: {
    listen?: readonly string[]
    announce?: readonly string[]
    relays?: readonly string[]
    upnp?: boolean
    notify?: { webhook?: string; ntfy?: string; command?: string }
  } = {},
): Promise<{ peerId: string; listen: string[] }> {
  const paths = guardianPaths(dataDir)
  const exists = await stat(paths.config).then(
    () => true,
    () => false,
  )
  if (exists) throw new GuardianDirInUseError(dataDir, lockHolder(paths.lock) !== undefined)
  await ensurePrivateDir(dataDir)
  const key = await loadOrCreatePeerKey(paths.peerKey)
  GuardianStore.open(paths.db).close()
  const listen =
    options.listen && options.listen.length > 0 ? [...options.listen] : [`/ip4/0.0.0.0/tcp/${DEFAULT_PORT}`]
  await writeGuardianConfig(dataDir, {
    version: 1,
    listen,
    announce: [...(options.announce ?? [])],
    ...(options.relays && options.relays.length > 0 ? { relays: [...options.relays] } : {}),
    ...(options.upnp ? { upnp: true } : {}),
    ...(options.notify ? { notify: options.notify } : {}),
  })
  return { peerId: peerIdFromPrivateKey(key).toString(), listen }
}

/**
 * What friends cannot use in an invite: a port the kernel picks at each start (`tcp/0`: it changes on
 * every restart) or only loopback addresses (reachable from this machine alone). The demo and the tests
 * use both on purpose; a real guardian is told.
 */
export function addressWarnings(listen: readonly string[], announce: readonly string[]): string[] {
  const told = announce.length > 0 ? announce : listen
  const out: string[] = []
  if (told.some((a) => /\/tcp\/0(\/|$)/.test(a)))
    out.push(
      'a tcp/0 address picks a new port at every start; friends need a fixed one (e.g. /ip4/0.0.0.0/tcp/4646)',
    )
  if (told.every((a) => /\/ip4\/127\.|\/ip6\/::1(\/|$)/.test(a)))
    out.push(
      'only loopback addresses: friends on other machines cannot reach them; listen on 0.0.0.0 or --announce a public one',
    )
  return out
}

/** Open the guardian's database for one short command, beside a running daemon (WAL allows it). */
export async function withGuardianStore<T>(dataDir: string, fn: (db: GuardianStore) => T): Promise<T> {
  await readGuardianConfig(dataDir)
  const db = GuardianStore.open(guardianPaths(dataDir).db)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

export interface InviteRequest {
  readonly label: string
  readonly quota: number
  readonly expiresAt: number
  /** Time between this human's approval and the share's release, for the vault this invite enrolls. */
  readonly releaseDelay: number
  readonly now: number
}

/** Make a one-time invite (text form `kinvite1…`); only the secret's hash is stored. */
export async function createInvite(
  dataDir: string,
  req: InviteRequest,
): Promise<{ token: string; quota: number; expiresAt: number }> {
  checkLabel(req.label, "guardian's name")
  const config = await readGuardianConfig(dataDir)
  const key = await guardianKey(dataDir)
  const addrs = await reachableAddrs(dataDir, config)
  if (addrs.length === 0) throw new NoInviteAddressError(dataDir)
  const secret = newInviteSecret()
  await withGuardianStore(dataDir, (db) =>
    db.vaults.createInvite(
      {
        secretHash: inviteSecretHash(secret),
        label: req.label,
        quota: req.quota,
        expiresAt: req.expiresAt,
        releaseDelay: req.releaseDelay,
      },
      req.now,
    ),
  )
  const token = inviteToText({
    peerId: peerIdBytes(peerIdFromPrivateKey(key)),
    addrs,
    secret,
    quota: req.quota,
    expiresAt: req.expiresAt,
    label: req.label,
  })
  secret.fill(0)
  return { token, quota: req.quota, expiresAt: req.expiresAt }
}

export interface GuardianOverview {
  readonly peerId: string
  readonly addrs: readonly string[]
  readonly vaults: readonly {
    readonly label: string
    readonly vault: string
    readonly epoch: number
    readonly version: number
    readonly bytesStored: number
    readonly quota: number
    readonly lastContact: number
    readonly equivocation: boolean
    /** A roster dropped this guardian: when its data goes (unless kept), or that it was kept. */
    readonly removal: { readonly epoch: number; readonly at: number; readonly kept: boolean } | null
    readonly releaseDelay: number
  }[]
  /** The running daemon's local page, or why it could not start; null: no daemon serves one. */
  readonly page: { readonly url: string } | { readonly error: string; readonly listen: string } | null
}

/** The identity of a guardian that exists: never made anew here (only `init` makes one). */
export async function guardianKey(dataDir: string): Promise<Ed25519PrivateKey> {
  const key = await loadPeerKey(guardianPaths(dataDir).peerKey)
  if (key === undefined) throw new GuardianKeyMissingError(dataDir)
  return key
}

/** Who this guardian is, where friends reach it, and the vaults it keeps. */
export async function guardianOverview(dataDir: string): Promise<GuardianOverview> {
  const config = await readGuardianConfig(dataDir)
  const peerId = peerIdFromPrivateKey(await guardianKey(dataDir)).toString()
  const addrs = await reachableAddrs(dataDir, config)
  const vaults = await withGuardianStore(dataDir, (db) =>
    db.vaults.all().map((v) => ({
      label: v.label,
      vault: encodeText('vault', v.vaultId),
      epoch: v.epoch,
      version: v.headVersion,
      bytesStored: v.bytesStored,
      quota: v.quota,
      lastContact: v.lastContact,
      equivocation: v.equivocation,
      removal: v.removal,
      releaseDelay: v.releaseDelay,
    })),
  )
  const runtime = await readPageRuntime(dataDir, { live: true })
  const page =
    runtime === undefined
      ? null
      : runtime.url !== null
        ? { url: runtime.url }
        : { error: runtime.error, listen: runtime.listen }
  return { peerId, addrs, vaults, page }
}
