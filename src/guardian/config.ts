/**
 * A guardian's data directory (docs/guardian.md): the config chosen at init (changed by `kith guardian
 * settings`, settings.ts), the peer key, the database, and the addresses the running daemon actually
 * listens on (for invites). Layout lives here and nowhere else (its default place: home.ts).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../disk/atomic.js'
import { ConfigObject, isMissingFile, parseConfig } from '../disk/config-file.js'
import { GuardianNotInitializedError } from './errors.js'

export { DEFAULT_GUARDIAN_DIR } from './home.js'
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

/**
 * The guardian's config. No file: no guardian lives here (GUARDIAN_NOT_INITIALIZED). A file that is not
 * JSON, or has a field that is unknown, missing or of the wrong type: CONFIG_INVALID, naming it.
 */
export async function readGuardianConfig(dir: string): Promise<GuardianConfig> {
  const path = guardianPaths(dir).config
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    if (isMissingFile(err)) throw new GuardianNotInitializedError(dir)
    throw err
  })
  const c = new ConfigObject(path, parseConfig(path, text))
  if (c.need('version', c.number('version')) !== 1)
    throw c.invalid('version', 'must be 1 (the only version this kith reads)')
  const listen = c.need('listen', c.strings('listen'))
  const announce = c.need('announce', c.strings('announce'))
  const relays = c.strings('relays')
  const upnp = c.boolean('upnp')
  const n = c.object('notify')
  c.done()
  const notify = n && _notifyTargets(n)
  return {
    version: 1,
    listen,
    announce,
    ...(relays !== undefined ? { relays } : {}),
    ...(upnp !== undefined ? { upnp } : {}),
    ...(notify !== undefined ? { notify } : {}),
  }
}

function _notifyTargets(n: ConfigObject): NonNullable<GuardianConfig['notify']> {
  const webhook = n.string('webhook')
  const ntfy = n.string('ntfy')
  const command = n.string('command')
  n.done()
  return {
    ...(webhook !== undefined ? { webhook } : {}),
    ...(ntfy !== undefined ? { ntfy } : {}),
    ...(command !== undefined ? { command } : {}),
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
