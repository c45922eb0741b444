/**
 * kith-cln runs from the installed kith, never from the clone it was packed in. kith is packed as npm
 * packs it (the built tree: run `npm run build` first) and installed into a temporary prefix as the
 * README says (`npm install -g`); that copy's `kith cln install-plugin` writes the executable, the
 * tarball is removed, and lightningd's emulator starts it with this clone hidden (a private mount
 * namespace where the clone's folder is an empty tmpfs): getmanifest, init, a transaction held by W of
 * three in-process guardians. Installed again elsewhere (Node upgraded with nvm) and install-plugin run
 * from there, it names only the new copy and runs with the first removed; with both removed it says why.
 * A link into the clone, as `npm install -g .` makes it, is refused and writes nothing.
 *
 * npm takes the dependencies from its cache where it has them (--prefer-offline: seconds, not minutes),
 * from the registry otherwise; no package of kith's runs an install script (SQLite is Node's own).
 * Without the rights to make a mount
 * namespace the clone stays visible (said on the console), and the executable's text alone shows that it
 * names nothing of it.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths } from '../../src/cln/config.js'
import { kithJson } from '../helpers/cli.js'
import { createClnDb, Lightningd } from '../helpers/lightningd.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { runTracked } from '../helpers/procs.js'
import { fileTempDir, tempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const CLONE = resolve(import.meta.dirname, '..', '..')
const VERSION = (JSON.parse(readFileSync(join(CLONE, 'package.json'), 'utf8')) as { version: string }).version

/** Whether this user may make a mount namespace to hide the clone in (root, or a user namespace). */
function _hidingUnavailable(): string | undefined {
  try {
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'unshare --mount is not permitted here'
  }
}
const hiding = _hidingUnavailable()
if (hiding !== undefined) console.warn(`the clone stays visible to the installed plugin: ${hiding}`)

/** kith as `npm pack` makes it from the built tree, in `dir`; its path. */
async function pack(dir: string): Promise<string> {
  // --ignore-scripts: `prepare` would build again, into a tree other work shares; the tier built it
  const r = await runTracked('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: CLONE,
  })
  expect(r.code, r.stderr).toBe(0)
  return join(dir, r.stdout.trim().split('\n').at(-1)!)
}

/** `npm install -g --prefix <prefix> <tarball>`; the installed package's folder. */
async function install(tarball: string, prefix: string): Promise<string> {
  const r = await runTracked(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      tarball,
      '--prefer-offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
    ],
    {
      cwd: dirname(prefix),
      env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
    },
  )
  expect(r.code, r.stderr).toBe(0)
  return join(prefix, 'lib', 'node_modules', 'kith')
}

/** The installed `kith` on the command line, with this Node; its exit status and output. */
let nodeCopy: Promise<string> | undefined
/**
 * The machine's Node, as a user's is: outside the clone. This Node is the clone's own (the registry's
 * `node` package in node_modules), which the hidden clone would take away from the plugin.
 */
function machineNode(): Promise<string> {
  nodeCopy ??= (async () => {
    const node = join(await fileTempDir('kith-node-bin-'), 'node')
    await copyFile(process.execPath, node)
    await chmod(node, 0o755)
    return node
  })()
  return nodeCopy
}

const kithAt = async (prefix: string, cwd: string, ...args: string[]) =>
  runTracked(await machineNode(), [join(prefix, 'bin', 'kith'), ...args], { cwd })

/** lightningd starting `plugin` with this clone's folder hidden from it (when that can be done). */
async function startHidden(plugin: string, db: string, dir: string): Promise<Lightningd> {
  let executable = plugin
  if (hiding === undefined) {
    executable = join(dir, 'lightningd-without-the-clone')
    await writeFile(
      executable,
      `#!/bin/sh\nexec unshare --mount --propagation private sh -c 'mount -t tmpfs kith-clone-hidden "$1" && exec "$2"' sh '${CLONE}' '${plugin}'\n`,
      { mode: 0o700 },
    )
  }
  const ln = Lightningd.spawned(executable, db)
  await ln.start()
  await ln.init()
  return ln
}

describe('kith-cln runs from the installed copy of kith', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let clnDb: string
  let scratch: string
  let tarball: string
  let prefix: string
  let installed: string
  let plugin: string
  let second: string
  const held = () =>
    gs.map((g) => g.guardian.db.journals.get(g.guardian.db.vaults.all()[0]!.vaultId, 'cln-db'))
  const pluginDir = () => join(work, 'lightning', 'kith')
  /** The installed kith at `from` runs `kith cln install-plugin` in the folder `cwd`. */
  const installFrom = (from: string, cwd: string) =>
    kithAt(
      from,
      cwd,
      'cln',
      'install-plugin',
      '--db',
      clnDb,
      '--plugin-dir',
      pluginDir(),
      '--data-dir',
      dir,
      '--hold',
      '10s',
    )

  beforeAll(async () => {
    ;({ gs, work, dir } = await localVault(3, 2, 2, fleet))
    await mkdir(join(work, 'lightning', 'bitcoin'), { recursive: true })
    clnDb = join(work, 'lightning', 'bitcoin', 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    scratch = await fileTempDir('kith-install-')
    for (const d of [work, scratch]) expect(d.startsWith(CLONE)).toBe(false)
    tarball = await pack(scratch)
    prefix = join(scratch, 'prefix')
    installed = await install(tarball, prefix)
  })

  it("install-plugin of the installed kith names that copy and this Node, and says so; nothing of the clone's", async () => {
    const r = await installFrom(prefix, scratch)
    expect(r.code, r.stderr).toBe(0)
    const main = join(installed, 'dist', 'src', 'cln', 'main.js')
    const node = await machineNode()
    expect(r.stdout).toContain(`It runs:\n  Node ${process.version}  ${node}\n  kith ${VERSION}  ${main}\n`)
    plugin = join(pluginDir(), 'kith-cln')
    const script = await readFile(plugin, 'utf8')
    expect(script).not.toContain(CLONE)
    expect(script).toContain(`exec '${node}' '${main}' '${pluginPaths(dir).config}'\n`)
  })

  it('with the tarball removed and the clone hidden, lightningd starts it: each transaction held by W', async () => {
    await rm(tarball)
    const ln = await startHidden(plugin, clnDb, scratch)
    expect(await ln.pay(1)).toBe('continue')
    expect(held().filter((s) => s?.lastPosition === 6).length).toBeGreaterThanOrEqual(2)
    await ln.stop()
    ln.close()
  })

  it('installed elsewhere, install-plugin again repoints it; the first copy removed, it runs from the second', async () => {
    const upgrade = await fileTempDir('kith-upgrade-')
    second = join(upgrade, 'prefix')
    const secondInstalled = await install(await pack(upgrade), second)
    await rm(join(upgrade, `kith-${VERSION}.tgz`))
    const r = await installFrom(second, upgrade)
    expect(r.code, r.stderr).toBe(0)
    const script = await readFile(plugin, 'utf8')
    expect(script).toContain(join(secondInstalled, 'dist', 'src', 'cln', 'main.js'))
    expect(script).not.toContain(prefix)
    expect(await readdir(pluginDir())).toEqual(['kith-cln'])
    await rm(prefix, { recursive: true })
    const ln = await startHidden(plugin, clnDb, upgrade)
    expect(await ln.pay(2)).toBe('continue')
    expect(held().filter((s) => s?.lastPosition === 7).length).toBeGreaterThanOrEqual(2)
    await ln.stop()
    ln.close()
  })

  it('with that copy removed too, the executable says why, as the plugin itself would', async () => {
    await rm(second, { recursive: true })
    const gone = await runTracked(plugin, [])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(
      new RegExp(
        `^kith-cln: stopped: kith's plugin ${second}/lib/node_modules/kith/dist/src/cln/main\\.js is gone .*\\[KITH_NOT_INSTALLED\\]\\n$`,
      ),
    )
    expect(gone.stdout).toMatch(/^\{"jsonrpc":"2\.0","method":"log","params":\{"level":"broken",.*\}\n\n$/)
  })
})

describe('install-plugin through a link into the clone', () => {
  it('(`npm install -g .`) is refused as the clone it leads to, and writes nothing', async () => {
    const work = await tempDir()
    // the link npm makes for a folder: <prefix>/lib/node_modules/kith -> the clone, and the bin into it
    const prefix = join(work, 'prefix')
    await mkdir(join(prefix, 'lib', 'node_modules'), { recursive: true })
    await mkdir(join(prefix, 'bin'))
    await symlink(CLONE, join(prefix, 'lib', 'node_modules', 'kith'))
    await symlink('../lib/node_modules/kith/dist/src/cli/main.js', join(prefix, 'bin', 'kith'))
    const vault = join(work, 'vault')
    await kithJson('vault', 'init', '-k', '2', '--data-dir', vault)
    const before = await readdir(vault)
    const db = join(work, 'lightningd.sqlite3')
    createClnDb(db)
    const plugins = join(work, 'plugins')
    const r = await kithAt(
      prefix,
      work,
      'cln',
      'install-plugin',
      '--db',
      db,
      '--plugin-dir',
      plugins,
      '--data-dir',
      vault,
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(`^kith: kith runs from ${CLONE}, a git work tree .*\\[KITH_NOT_INSTALLED\\]\\n$`),
    )
    await expect(stat(plugins)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readdir(vault)).toEqual(before)
  })
})
