/**
 * A guardian's settings after init (`kith guardian settings`): its relays, the addresses it listens on
 * and announces, its port, UPnP and where its notices go. Each change is checked before anything is
 * written (INVALID_SETTING, naming the option), then guardian.json is replaced whole (0600, atomic), by
 * the folder's own user only (NOT_GUARDIAN_USER): the file is theirs, and the daemon runs as them.
 * Never the identity (peer.key): friends' rosters and invites name it, so a new one is a new guardian.
 */
import { readFile, stat } from 'node:fs/promises'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { lockHolder } from '../disk/lock.js'
import { loadPeerKey } from '../p2p/peer-key.js'
import type { DaemonService } from './advice.js'
import { type GuardianConfig, guardianPaths, readGuardianConfig, writeGuardianConfig } from './config.js'
import { GuardianKeyMissingError, InvalidSettingError, NotGuardianUserError } from './errors.js'

export type NotifyKind = 'ntfy' | 'webhook' | 'command'
export const NOTIFY_KINDS: readonly NotifyKind[] = ['ntfy', 'webhook', 'command']

/** What to change; what is left out stays as it is. */
export interface SettingsChange {
  readonly addRelay?: readonly string[]
  readonly removeRelay?: readonly string[]
  readonly addListen?: readonly string[]
  readonly removeListen?: readonly string[]
  /** The TCP port of every listen address. */
  readonly port?: number
  readonly addAnnounce?: readonly string[]
  readonly removeAnnounce?: readonly string[]
  readonly upnp?: boolean
  readonly notify?: { readonly [K in NotifyKind]?: string }
  readonly removeNotify?: readonly string[]
}

/** `addr` as a multiaddr's components, or INVALID_SETTING naming the option. */
function _parse(option: string, addr: string): { name: string; value?: string | undefined }[] {
  try {
    return multiaddr(addr.trim()).getComponents()
  } catch {
    throw new InvalidSettingError(
      option,
      `'${addr}' is not an address kith reads (a multiaddr such as /ip4/…/tcp/4646)`,
    )
  }
}

const _HOSTS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/** A relay: a host, a TCP port and the relay's peer ID at the end; a trailing /p2p-circuit is dropped. */
export function checkRelay(addr: string, self: string): string {
  const parts = _parse('add-relay', addr.trim().replace(/\/p2p-circuit$/, ''))
  const peer = parts.at(-1)
  const why =
    peer?.name !== 'p2p' || peer.value === undefined
      ? "a relay's address ends in /p2p/<its peer ID>: ask your friend for the whole address"
      : !_HOSTS.has(parts[0]!.name) || parts[1]?.name !== 'tcp' || parts.length !== 3
        ? "a relay's address is /ip4/<host>/tcp/<port>/p2p/<its peer ID> (or /dns4/…, /ip6/…)"
        : peer.value === self
          ? 'that is this guardian itself: a relay is another guardian, with a public address'
          : undefined
  if (why !== undefined) throw new InvalidSettingError('add-relay', `'${addr}': ${why}`)
  try {
    peerIdFromString(peer!.value!)
  } catch {
    throw new InvalidSettingError('add-relay', `'${addr}': its last part is not a peer ID (12D3Koo…)`)
  }
  return `/${parts.map((p) => `${p.name}/${p.value}`).join('/')}`
}

/** An address of this guardian: a host (an IP to listen on; a name too, to announce) and a TCP port. */
function _ownAddress(option: 'add-listen' | 'add-announce', addr: string): string {
  const parts = _parse(option, addr)
  const hosts = option === 'add-listen' ? new Set(['ip4', 'ip6']) : _HOSTS
  if (!hosts.has(parts[0]!.name) || parts[1]?.name !== 'tcp' || parts.length !== 2)
    throw new InvalidSettingError(
      option,
      `'${addr}': give ${option === 'add-listen' ? "/ip4/<this computer's address or 0.0.0.0>" : '/ip4/<public address> or /dns4/<name>'}/tcp/<port>, nothing after it`,
    )
  return `/${parts.map((p) => `${p.name}/${p.value}`).join('/')}`
}

/** The value of `--port`: a fixed port friends can be sent to. */
function _port(port: number): number {
  // 0 would pick a new port at every start: friends need a fixed one
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidSettingError('port', `${port}: give a port from 1 to 65535 (kith's own is 4646)`)
  return port
}

/** A notice target: a web address for ntfy and webhook (never quoted: it may hold a token). */
function _target(kind: NotifyKind, value: string): string {
  if (kind === 'command') {
    if (value.trim() === '') throw new InvalidSettingError('notify-command', 'give the command to run')
    return value
  }
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new InvalidSettingError(`notify-${kind}`, 'give a web address starting with https://')
  return value
}

/** `list` with `remove` taken out: each must be there (a typo is said, never ignored). */
function _without(
  option: string,
  list: readonly string[],
  remove: readonly string[],
  match: (a: string, r: string) => boolean,
): string[] {
  let out = [...list]
  for (const r of remove) {
    if (!out.some((a) => match(a, r)))
      throw new InvalidSettingError(option, `'${r}' is not one of them (kith guardian settings lists them)`)
    out = out.filter((a) => !match(a, r))
  }
  return out
}

const _plus = (list: readonly string[], add: readonly string[]) => [
  ...list,
  ...add.filter((a) => !list.includes(a)),
]

/** A relay named for removal by its whole address or by its peer ID alone. */
const _sameRelay = (a: string, r: string) =>
  a === r.trim().replace(/\/p2p-circuit$/, '') || a.endsWith(`/p2p/${r.trim()}`)

/** An announced address that `--port` moved with the listen addresses: friends are told the new port. */
export interface MovedAddress {
  readonly from: string
  readonly to: string
}

/** The settings after a change, and the announced addresses it moved to the new port. */
export interface ChangedSettings {
  readonly config: GuardianConfig
  readonly moved: readonly MovedAddress[]
}

const _tcpPort = (addr: string) => /\/tcp\/(\d+)$/.exec(addr)?.[1]

/**
 * Announced addresses on a port the guardian stops listening on, moved to `port`: one announced on the
 * port it listened on is a port forwarded as it is, and friends dialling the old one would find nothing.
 * One announced on another port (a router forwarding 443 to 4646) stays, as do those just added.
 */
function _movePort(
  announce: readonly string[],
  oldListen: readonly string[],
  port: number,
): { announce: string[]; moved: MovedAddress[] } {
  const old = new Set(oldListen.map(_tcpPort).filter((p) => p !== undefined && p !== String(port)))
  const moved: MovedAddress[] = []
  const out = announce.map((from) => {
    const p = _tcpPort(from)
    if (p === undefined || !old.has(p)) return from
    const to = from.replace(/\/tcp\/\d+$/, `/tcp/${port}`)
    moved.push({ from, to })
    return to
  })
  return { announce: [...new Set(out)], moved }
}

/** The config with `change` made, every value checked first; `self` is this guardian's peer ID. */
export function changeSettings(
  config: GuardianConfig,
  change: SettingsChange,
  self: string,
): ChangedSettings {
  const relays = _plus(
    _without('remove-relay', config.relays ?? [], change.removeRelay ?? [], _sameRelay),
    (change.addRelay ?? []).map((r) => checkRelay(r, self)),
  )
  let listen = _plus(
    _without('remove-listen', config.listen, change.removeListen ?? [], (a, r) => a === r.trim()),
    (change.addListen ?? []).map((a) => _ownAddress('add-listen', a)),
  )
  if (listen.length === 0)
    throw new InvalidSettingError(
      'remove-listen',
      "a guardian listens on one address at least (kith's own: /ip4/0.0.0.0/tcp/4646)",
    )
  const port = change.port === undefined ? undefined : _port(change.port)
  if (port !== undefined) listen = [...new Set(listen.map((a) => a.replace(/\/tcp\/\d+$/, `/tcp/${port}`)))]
  const removed = _without(
    'remove-announce',
    config.announce,
    change.removeAnnounce ?? [],
    (a, r) => a === r.trim(),
  )
  const { announce: kept, moved } =
    port === undefined ? { announce: removed, moved: [] } : _movePort(removed, config.listen, port)
  const announce = _plus(
    kept,
    (change.addAnnounce ?? []).map((a) => _ownAddress('add-announce', a)),
  )
  const notify: { -readonly [K in NotifyKind]?: string } = { ...config.notify }
  for (const k of change.removeNotify ?? []) {
    if (!NOTIFY_KINDS.includes(k as NotifyKind))
      throw new InvalidSettingError('remove-notify', `'${k}': say which of ${NOTIFY_KINDS.join(', ')}`)
    delete notify[k as NotifyKind]
  }
  for (const k of NOTIFY_KINDS) {
    const v = change.notify?.[k]
    if (v !== undefined) notify[k] = _target(k, v)
  }
  const upnp = change.upnp ?? config.upnp === true
  return {
    config: {
      version: 1,
      listen,
      announce,
      ...(relays.length > 0 ? { relays } : {}),
      ...(upnp ? { upnp: true } : {}),
      ...(Object.keys(notify).length > 0 ? { notify } : {}),
    },
    moved,
  }
}

/**
 * What the friend should know of settings that are valid but do not do what they may expect; `moved`:
 * announced addresses this change moved to the new port, said plainly, with how to say another.
 */
export function settingsNotes(config: GuardianConfig, moved: readonly MovedAddress[] = []): string[] {
  const notes: string[] = []
  if (moved.length > 0) {
    const port = _tcpPort(moved[0]!.to)
    notes.push(
      `friends are now told port ${port} where you announced the old one: ${moved.map((m) => `${m.to} (was ${m.from})`).join(', ')}. If your router forwards a port to this computer, forward ${port} there too; if friends should dial another address: --add-announce and --remove-announce`,
    )
  }
  // libp2p tells peers the announced addresses alone, when there are any: relayed ones too stay unsaid
  if ((config.relays ?? []).length > 0 && config.announce.length > 0)
    notes.push(
      `friends are told only the addresses you announce (${config.announce.join(', ')}), not the relay's; remove them if they do not reach you from elsewhere (--remove-announce)`,
    )
  return notes
}

/** A user's name from /etc/passwd, else `#uid` (as sudo -u takes it). */
async function _userName(uid: number): Promise<string> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '')
  const name = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[2] === String(uid))?.[0]
  return name !== undefined && name !== '' ? name : `#${uid}`
}

/**
 * Refuse a change by another user than the folder's: guardian.json would become theirs (0600), and the
 * guardian's user could not read it at its next start (`sudo` on the systemd unit's folder, User=kith).
 */
async function _checkOwnUser(dataDir: string): Promise<void> {
  const self = process.geteuid?.()
  if (self === undefined) return
  const st = await stat(dataDir).catch((err: NodeJS.ErrnoException) => {
    // no folder: no guardian, which reading its settings says (GUARDIAN_NOT_INITIALIZED)
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (st !== undefined && st.uid !== self)
    throw new NotGuardianUserError(dataDir, await _userName(st.uid), await _userName(self))
}

/** This guardian's peer ID, read only: a missing peer.key is said, never made anew (that is init's). */
async function _ownPeerId(dataDir: string): Promise<string> {
  const key = await loadPeerKey(guardianPaths(dataDir).peerKey)
  if (key === undefined) throw new GuardianKeyMissingError(dataDir)
  return peerIdFromPrivateKey(key).toString()
}

/** Change the settings in guardian.json, all of it or nothing; `changed` false: the file was left alone. */
export async function updateSettings(
  dataDir: string,
  change: SettingsChange,
): Promise<ChangedSettings & { changed: boolean }> {
  await _checkOwnUser(dataDir)
  const before = await readGuardianConfig(dataDir)
  const { config, moved } = changeSettings(before, change, await _ownPeerId(dataDir))
  const changed = JSON.stringify(config) !== JSON.stringify(before)
  if (changed) await writeGuardianConfig(dataDir, config)
  return { config, moved, changed }
}

/**
 * How the process `pid` was started, from its control group (Linux): by kith's systemd unit (user or
 * system), as the first process of a container (the Docker image), or else by hand. Only kith's own
 * unit name counts: a guardian started in a terminal that runs as a service must not be told to
 * restart the terminal.
 */
export async function daemonService(pid: number): Promise<DaemonService> {
  const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')
  return serviceOfCgroup(cgroup, pid)
}

/** `daemonService` from the text of /proc/<pid>/cgroup. */
export function serviceOfCgroup(cgroup: string, pid: number): DaemonService {
  const unit = /\/(kith-guardian(?:@[^/\s]*)?)\.service$/m.exec(cgroup)?.[1]
  if (unit !== undefined)
    return /\/user@\d+\.service\//.test(cgroup) ? { kind: 'user-unit', unit } : { kind: 'system-unit', unit }
  if (pid === 1) return { kind: 'container' }
  return { kind: 'foreground' }
}

/** The daemon running on `dataDir` (the holder of guardian.lock), and how it was started; or none. */
export async function runningDaemon(
  dataDir: string,
): Promise<{ pid: number; service: DaemonService } | undefined> {
  const pid = lockHolder(guardianPaths(dataDir).lock)
  return pid === undefined ? undefined : { pid, service: await daemonService(pid) }
}
