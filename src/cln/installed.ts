/**
 * Where lightningd's kith-cln runs from: the Node running `kith cln install-plugin` and the kith package
 * that command runs from, if that package is an installed copy (as npm installs a tarball), or the
 * release executable running it (docs/release.md), and the executable that names them. It must never
 * point lightningd at a clone, a link into one or npx's cache without being told to (`--from-clone`):
 * moving or rebuilding those stops a running node's plugin.
 */
import { existsSync, readFileSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { basename, dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isRelease, releaseName, releaseVersion } from '../release/self.js'
import { KithNotInstalledError } from './errors.js'
import { logNotification } from './rpc.js'

/** The word a release executable runs kith-cln by: `<release file> cln-plugin <config>` (cli/release-main.ts). */
export const RELEASE_PLUGIN_COMMAND = 'cln-plugin'

/** What the executable lightningd starts runs: this Node, on this kith's compiled plugin entry. */
export interface PluginRuntime {
  readonly node: string
  readonly nodeVersion: string
  /** The kith package's folder, links resolved. */
  readonly kithRoot: string
  readonly kithVersion: string
  /** `<kithRoot>/dist/src/cln/main.js`. */
  readonly main: string
  /** Taken from a kith that is not an installed copy, on purpose (`--from-clone`). */
  readonly fromClone: boolean
  /**
   * The release's name (`kith-0.1.0-linux-x64`) when kith runs as a release executable: then `node` and
   * `main` are that one file, which runs the plugin as `<file> cln-plugin <config>`, and `kithRoot` is
   * its folder. Absent for an npm install or a clone.
   */
  readonly release?: string
}

/** kith's version if `dir` holds kith's package.json, else undefined. */
function _kithVersion(dir: string): string | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (typeof pkg !== 'object' || pkg === null || !('name' in pkg) || pkg.name !== 'kith') return undefined
    return 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return undefined
  }
}

/** The folder of the kith package this code runs from (src/cln in a clone, dist/src/cln when built). */
export function kithPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  let dir = here
  for (let i = 0; i < 6; i++, dir = dirname(dir)) if (_kithVersion(dir) !== undefined) return dir
  throw new KithNotInstalledError(here, 'not-installed')
}

/** Refuse a package that is not an installed copy: `root` is its real path (links already followed). */
function _refuseNotInstalled(root: string): void {
  // a clone; a link into one (`npm install -g .`, `npm link`) arrives here as the clone's own path
  if (existsSync(join(root, '.git'))) throw new KithNotInstalledError(root, 'git-work-tree')
  // npx and npm exec install into ~/.npm/_npx/<hash>/node_modules, which npm may clear at any time
  if (root.split(sep).includes('_npx')) throw new KithNotInstalledError(root, 'npx-cache')
  // npm installs a package as a folder of its own straight in node_modules (-g: <prefix>/lib/node_modules)
  if (basename(dirname(root)) !== 'node_modules') throw new KithNotInstalledError(root, 'not-installed')
}

/**
 * What the plugin will run: this Node and the kith at `root` (default: the one running), refused with
 * KITH_NOT_INSTALLED unless it is an installed copy or `fromClone` says to take it as it is. A release
 * executable is its own installed copy: the file itself, wherever it was put (`root` is not given).
 */
export async function findPluginRuntime(o: { fromClone: boolean; root?: string }): Promise<PluginRuntime> {
  const release = o.root === undefined && isRelease() ? releaseName() : undefined
  if (release !== undefined) {
    const file = await realpath(process.execPath)
    return {
      node: file,
      nodeVersion: process.version,
      kithRoot: dirname(file),
      kithVersion: releaseVersion() ?? 'unknown',
      main: file,
      fromClone: false,
      release,
    }
  }
  const root = await realpath(o.root ?? kithPackageRoot())
  const main = join(root, 'dist', 'src', 'cln', 'main.js')
  const kithVersion = _kithVersion(root)
  if (kithVersion === undefined) throw new KithNotInstalledError(root, 'not-installed')
  if (!existsSync(main)) throw new KithNotInstalledError(root, 'not-built')
  if (!o.fromClone) _refuseNotInstalled(root)
  return {
    node: process.execPath,
    nodeVersion: process.version,
    kithRoot: root,
    kithVersion,
    main,
    fromClone: o.fromClone,
  }
}

/** A shell word, quoted so that nothing in it is interpreted. */
const _quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

/** Text for a comment line of the script: no line break (nor any control character) can end it. */
const _comment = (s: string) => s.replace(/\p{Cc}/gu, '?')

/** The two lines of `_gone` for `what`: a `broken` notification for lightningd and a line for its log. */
function _goneWords(what: string, advice: string): string {
  const line = `kith-cln: stopped: ${what} is gone since 'kith cln install-plugin' ran: ${advice} [KITH_NOT_INSTALLED]`
  // the notification on one line: _gone adds the blank line lightningd's messages end with
  return `${_quote(logNotification('broken', line).trimEnd())} ${_quote(line)}`
}

/**
 * The executable lightningd starts: it runs `r.main` with `r.node` on the plugin's config file (a
 * release: the release file with `cln-plugin`), and nothing else. If what it runs was removed since (a
 * Node upgraded by nvm, kith uninstalled or moved), it says so as the plugin itself would (a `broken` log
 * notification and a line on stderr) and exits 1.
 */
export function pluginScript(r: PluginRuntime, db: string, config: string): string {
  const head = [
    '#!/bin/sh',
    `# kith live replication of ${_comment(db)}, written by 'kith cln install-plugin' (its files: ${_comment(config)}).`,
  ]
  const gone = `_gone() { printf '%s\\n\\n' "$1"; printf '%s\\n' "$2" >&2; exit 1; }`
  if (r.release !== undefined) {
    const advice =
      "put it back, or run the 'kith cln install-plugin' of the kith release lightningd should use"
    return [
      ...head,
      `# It runs the release ${_comment(r.release)} (Node ${r.nodeVersion} inside) at ${_comment(r.main)}; after moving or removing it, run install-plugin again.`,
      gone,
      `[ -x ${_quote(r.main)} ] || _gone ${_goneWords(`kith's release ${r.main}`, advice)}`,
      `exec ${_quote(r.main)} ${RELEASE_PLUGIN_COMMAND} ${_quote(config)}`,
      '',
    ].join('\n')
  }
  const advice =
    "install kith again (with the Node lightningd should use) and run its 'kith cln install-plugin'"
  const from = r.fromClone
    ? `the clone ${r.kithRoot} (--from-clone)`
    : `kith ${r.kithVersion} at ${r.kithRoot}`
  return [
    ...head,
    `# It runs ${_comment(from)} with Node ${r.nodeVersion}; after moving or removing either, run install-plugin again.`,
    gone,
    `[ -x ${_quote(r.node)} ] || _gone ${_goneWords(`Node ${r.node}`, advice)}`,
    `[ -f ${_quote(r.main)} ] || _gone ${_goneWords(`kith's plugin ${r.main}`, advice)}`,
    `exec ${_quote(r.node)} ${_quote(r.main)} ${_quote(config)}`,
    '',
  ].join('\n')
}
