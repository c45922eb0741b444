/**
 * A guardian's data directory (docs/guardian.md): the config chosen at init, the peer key, the
 * database, and the addresses the running daemon actually listens on (for invites). Layout lives here
 * and nowhere else.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../disk/atomic.js'
import { GuardianNotInitializedError } from './errors.js'

export const DEFAULT_GUARDIAN_DIR = join(homedir(), '.kith', 'guardian')
/** kith's default TCP port. */
export const DEFAULT_PORT = 4646

export const guardianPaths = (dir: string) => ({
  config: join(dir, 'guardian.json'),
  db: join(dir, 'guardian.sqlite3'),
  peerKey: join(dir, 'peer.key'),
  /** Held by the running daemon: one daemon per data directory. */
  lock: join(dir, 'guardian.lock'),
  /** Written by the running daemon: its real listen addresses. */
  runtime: join(dir, 'addrs.json'),
  /** Written by the running daemon: where its local page is (for `kith guardian open`). */
  web: join(dir, 'web.json'),
})

export interface GuardianConfig {
  readonly version: 1
  readonly listen: readonly string[]
  readonly announce: readonly string[]
  /** Relays to keep a reservation on (multiaddrs ending in /p2p/<relay>): for a guardian behind NAT. */
  readonly relays?: readonly string[]
  /** Ask the router for a port mapping (UPnP / NAT-PMP) where it offers one. */
  readonly upnp?: boolean
  /** Where to tell this guardian's human about what needs them: webhook, ntfy topic, command. */
  readonly notify?: { readonly webhook?: string; readonly ntfy?: string; readonly command?: string }
}

export async function readGuardianConfig(dir: string): Promise<GuardianConfig> {
  try {
    const c = JSON.parse(await readFile(guardianPaths(dir).config, 'utf8')) as GuardianConfig
    if (c.version !== 1 || !Array.isArray(c.listen) || !Array.isArray(c.announce))
      throw new Error('bad config')
    return c
  } catch {
    throw new GuardianNotInitializedError(dir)
  }
}

export async function writeGuardianConfig(dir: string, config: GuardianConfig): Promise<void> {
  await writeFileAtomic(guardianPaths(dir).config, `${JSON.stringify(config, null, 2)}\n`)
}

/** Where to tell coordinators to dial: announce addresses, else what the daemon listens on now,
 * else the configured listen addresses that are concrete. */
export async function reachableAddrs(dir: string, config: GuardianConfig): Promise<string[]> {
  if (config.announce.length > 0) return [...config.announce]
  try {
    const live = JSON.parse(await readFile(guardianPaths(dir).runtime, 'utf8')) as string[]
    if (Array.isArray(live) && live.length > 0) return live.map((a) => a.replace(/\/p2p\/[^/]+$/, ''))
  } catch {
    // not running: fall back to the config
  }
  return config.listen.filter((a) => !a.includes('/0.0.0.0/') && !a.endsWith('/tcp/0'))
}
