/**
 * Every command a guardian tells its human to run, in one table: its lines, notices, errors, status and
 * page name a command only through here, and test/guardian/advice.test.ts puts a guardian in each state
 * an entry is printed in and runs that command there. Must never advise a command that fails in the
 * state it is printed in (`kith guardian init --relay` on a guardian that exists was GUARDIAN_DIR_IN_USE).
 */
import { resolve } from 'node:path'
import { DEFAULT_GUARDIAN_DIR } from './home.js'

/** What the human fills in: printed as `<what>`, never quoted. */
export interface Hole {
  readonly hole: string
}

const hole = (what: string): Hole => ({ hole: what })

/** A word as a POSIX shell reads it back: bare when plain, else quoted (a label may hold `'` or `$`). */
export function shellWord(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s
  if (!/["$`\\!]/.test(s)) return `"${s}"`
  return `'${s.replaceAll("'", `'\\''`)}'`
}

const _word = (w: string | Hole): string => (typeof w === 'string' ? shellWord(w) : `<${w.hole}>`)

/**
 * `--data-dir D` for a guardian that lives elsewhere than the default folder: without it the command
 * would act on another guardian (or none); whole, as the command may run elsewhere than the daemon.
 * `dir` undefined: the command answers one the human typed, who gives it the same --data-dir as theirs.
 */
export function dirFlag(dir: string | undefined): string {
  return dir === undefined || resolve(dir) === resolve(DEFAULT_GUARDIAN_DIR)
    ? ''
    : ` --data-dir ${shellWord(resolve(dir))}`
}

const _kith = (dir: string | undefined, ...words: (string | Hole)[]) =>
  `kith guardian ${words.map(_word).join(' ')}${dirFlag(dir)}`

/** How the running daemon was started, as far as its process tells (settings.ts `daemonService`). */
export type DaemonService =
  | { readonly kind: 'user-unit'; readonly unit: string }
  | { readonly kind: 'system-unit'; readonly unit: string }
  | { readonly kind: 'container' }
  | { readonly kind: 'foreground' }

/** One piece of advice: the state it is printed in, and the command it names there. */
export interface Advice<A extends unknown[]> {
  readonly when: string
  readonly command: (dir: string | undefined, ...args: A) => string
}

const advice = <A extends unknown[]>(when: string, command: Advice<A>['command']): Advice<A> => ({
  when,
  command,
})

export const GUARDIAN_ADVICE = {
  init: advice('no guardian lives in the data directory (GUARDIAN_NOT_INITIALIZED)', (dir) =>
    _kith(dir, 'init'),
  ),
  start: advice(
    'a guardian that is not running: after init, PAGE_NOT_RUNNING, NO_INVITE_ADDRESS, GUARDIAN_DIR_IN_USE',
    (dir) => _kith(dir, 'start'),
  ),
  restart: advice(
    'a running guardian whose settings changed (kith guardian settings), or whose page is off or not its own (PAGE_NOT_RUNNING after --no-web, PAGE_NOT_PROVEN): started by hand, by systemd or in a container',
    (dir, service: DaemonService = { kind: 'foreground' }) =>
      service.kind === 'user-unit'
        ? `systemctl --user restart ${shellWord(service.unit)}`
        : service.kind === 'system-unit'
          ? `sudo systemctl restart ${shellWord(service.unit)}`
          : service.kind === 'container'
            ? 'docker compose restart guardian'
            : _kith(dir, 'start'),
  ),
  settings: advice('a guardian that exists, to change how it is reached (GUARDIAN_DIR_IN_USE)', (dir) =>
    _kith(dir, 'settings'),
  ),
  settingsAs: advice(
    "a change asked as another user than the one the guardian's folder belongs to (NOT_GUARDIAN_USER): sudo as root, its systemd unit's user kith",
    (dir, user: string | Hole = hole('user')) =>
      `sudo -u ${_word(user)} ${_kith(dir, 'settings', hole('the same options'))}`,
  ),
  addRelay: advice(
    'friends elsewhere cannot reach it: only home-network or loopback addresses (status, the page)',
    (dir, relay: string | Hole = hole('relay address')) => _kith(dir, 'settings', '--add-relay', relay),
  ),
  addAnnounce: advice(
    'no address to put in an invite while it is stopped (NO_INVITE_ADDRESS)',
    (dir, addr: string | Hole = hole('address friends dial')) =>
      _kith(dir, 'settings', '--add-announce', addr),
  ),
  port: advice('another program has its port (ADDRESS_IN_USE)', (dir, port: string | Hole = hole('port')) =>
    _kith(dir, 'settings', '--port', port),
  ),
  invite: advice('no friend uses it yet (init, the page)', (dir) => _kith(dir, 'invite')),
  open: advice('its page runs (start, status, the page when logged out)', (dir) => _kith(dir, 'open')),
  requests: advice('a recovery request to find (MANY RECOVERY REQUESTS, UNKNOWN_REQUEST)', (dir) =>
    _kith(dir, 'requests'),
  ),
  approve: advice(
    'a recovery request waits (RECOVERY REQUEST, kith guardian requests)',
    (dir, code: string | Hole = hole('the code they read')) => _kith(dir, 'approve', '--code', code),
  ),
  approveRequest: advice(
    'two waiting requests have the code typed (AMBIGUOUS_CODE)',
    (dir, request: string | Hole = hole('request'), code: string | Hole = hole('code')) =>
      _kith(dir, 'approve', request, '--code', code),
  ),
  deny: advice(
    'a recovery request waits (kith guardian requests)',
    (dir, request: string | Hole = hole('request')) => _kith(dir, 'deny', request),
  ),
  denyAll: advice('several requests wait for one vault (kith guardian requests)', (dir) =>
    _kith(dir, 'deny', '--all-waiting'),
  ),
  keep: advice(
    'a new roster dropped this guardian (REMOVAL: its line, notice, status)',
    (dir, vault: string | Hole = hole('vault')) => _kith(dir, 'keep', vault),
  ),
} as const

/**
 * A vault as `keep` and `policy` take it: by its label, unless another vault has that label too, or it
 * starts with '-' (the CLI would read `-x` as an option, quoted or not, and takes no `--` before it).
 */
export function vaultWord(label: string, id: string, labels: readonly string[]): string {
  return labels.filter((l) => l === label).length === 1 && !label.startsWith('-') ? label : id
}
