/**
 * Where kith-cln runs from: `kith cln install-plugin` names the Node and the kith package it runs from
 * only if that package is an installed copy (in a node_modules folder, as npm installs a tarball), and
 * refuses a clone, a link into one, npx's cache and a folder npm did not install, before anything is
 * written (KITH_NOT_INSTALLED). The executable it writes says so when what it names is gone. Real folders
 * laid out as npm and git leave them; the real install of a packed tarball is test/e2e/cln-installed.test.ts.
 */
import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findPluginRuntime, kithPackageRoot, pluginScript } from '../../src/cln/installed.js'
import { cli, kithJson } from '../helpers/cli.js'
import { createClnDb } from '../helpers/lightningd.js'
import { runTracked } from '../helpers/procs.js'
import { tempDir } from '../helpers/tmp.js'

const CLONE = resolve(import.meta.dirname, '..', '..')

/** A kith package at `root` as npm or a build leaves it: its package.json and the plugin's entry. */
async function kithPackage(root: string, options: { built?: boolean } = {}): Promise<string> {
  await mkdir(join(root, 'dist', 'src', 'cln'), { recursive: true })
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'kith', version: '9.8.7' }))
  if (options.built !== false) await writeFile(join(root, 'dist', 'src', 'cln', 'main.js'), '')
  return root
}

describe('install-plugin run from this clone', () => {
  it('is refused with KITH_NOT_INSTALLED, saying how to install a copy; nothing is written', async () => {
    const work = await tempDir()
    const vault = join(work, 'vault')
    await kithJson('vault', 'init', '-k', '2', '--data-dir', vault)
    const before = await readdir(vault)
    const db = join(work, 'lightningd.sqlite3')
    createClnDb(db)
    const plugins = join(work, 'plugins')
    const r = await cli('cln', 'install-plugin', '--db', db, '--plugin-dir', plugins, '--data-dir', vault)
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual([
      `kith: kith runs from ${CLONE}, a git work tree (a clone, or a link into one as \`npm install -g .\` makes): lightningd's plugin must not depend on it. Install a copy of kith (in the clone: npm install -g "$(npm pack --silent)") and run that kith's install-plugin [KITH_NOT_INSTALLED]`,
    ])
    await expect(stat(plugins)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readdir(vault)).toEqual(before)
    expect(await readdir(join(vault, 'streams')).catch(() => [])).toEqual([])
  })

  it('is the package this code runs from', () => {
    expect(kithPackageRoot()).toBe(CLONE)
  })
})

describe('where the plugin may run from', () => {
  it('an installed copy (<prefix>/lib/node_modules/kith): this Node on its dist/src/cln/main.js', async () => {
    const root = await kithPackage(join(await tempDir(), 'prefix', 'lib', 'node_modules', 'kith'))
    expect(await findPluginRuntime({ fromClone: false, root })).toEqual({
      node: process.execPath,
      nodeVersion: process.version,
      kithRoot: root,
      kithVersion: '9.8.7',
      main: join(root, 'dist', 'src', 'cln', 'main.js'),
      fromClone: false,
    })
  })

  it('a git work tree is refused, its .git a folder or a file (a worktree)', async () => {
    const work = await tempDir()
    const clone = await kithPackage(join(work, 'clone'))
    await mkdir(join(clone, '.git'))
    await expect(findPluginRuntime({ fromClone: false, root: clone })).rejects.toMatchObject({
      code: 'KITH_NOT_INSTALLED',
      reason: 'git-work-tree',
    })
    const worktree = await kithPackage(join(work, 'node_modules', 'kith'))
    await writeFile(join(worktree, '.git'), 'gitdir: /elsewhere/.git/worktrees/kith\n')
    await expect(findPluginRuntime({ fromClone: false, root: worktree })).rejects.toMatchObject({
      reason: 'git-work-tree',
    })
  })

  it('a link into a clone, as `npm install -g .` makes it, is refused as the clone it leads to', async () => {
    const work = await tempDir()
    const clone = await kithPackage(join(work, 'clone'))
    await mkdir(join(clone, '.git'))
    const link = join(work, 'prefix', 'lib', 'node_modules', 'kith')
    await mkdir(join(work, 'prefix', 'lib', 'node_modules'), { recursive: true })
    await symlink(clone, link)
    await expect(findPluginRuntime({ fromClone: false, root: link })).rejects.toMatchObject({
      code: 'KITH_NOT_INSTALLED',
      reason: 'git-work-tree',
      root: clone,
    })
  })

  it("npx's temporary cache is refused", async () => {
    const root = await kithPackage(join(await tempDir(), '.npm', '_npx', '1a2b3c', 'node_modules', 'kith'))
    await expect(findPluginRuntime({ fromClone: false, root })).rejects.toMatchObject({
      code: 'KITH_NOT_INSTALLED',
      reason: 'npx-cache',
    })
  })

  it('a folder npm did not install (an unpacked tarball) is refused', async () => {
    const root = await kithPackage(join(await tempDir(), 'package'))
    await expect(findPluginRuntime({ fromClone: false, root })).rejects.toMatchObject({
      code: 'KITH_NOT_INSTALLED',
      reason: 'not-installed',
    })
  })

  it('a copy without its compiled plugin is refused, also with --from-clone', async () => {
    const root = await kithPackage(join(await tempDir(), 'node_modules', 'kith'), { built: false })
    for (const fromClone of [false, true])
      await expect(findPluginRuntime({ fromClone, root })).rejects.toMatchObject({ reason: 'not-built' })
  })

  it('--from-clone takes a clone as it is, and says so', async () => {
    const clone = await kithPackage(join(await tempDir(), 'clone'))
    await mkdir(join(clone, '.git'))
    expect(await findPluginRuntime({ fromClone: true, root: clone })).toMatchObject({
      kithRoot: clone,
      fromClone: true,
    })
  })
})

describe('the executable lightningd starts', () => {
  const runtime = (dir: string) => ({
    node: process.execPath,
    nodeVersion: process.version,
    kithRoot: join(dir, 'node_modules', 'kith'),
    kithVersion: '9.8.7',
    main: join(dir, 'node_modules', 'kith', 'dist', 'src', 'cln', 'main.js'),
    fromClone: false,
  })

  it('names only the Node, the installed kith and the config; a line break in a path stays in its comment', async () => {
    const dir = await tempDir()
    const script = pluginScript(runtime(dir), '/l/x\nexec rm -rf /', join(dir, "it's.json"))
    expect(script.split('\n')).toEqual([
      '#!/bin/sh',
      `# kith live replication of /l/x?exec rm -rf /, written by 'kith cln install-plugin' (its files: ${dir}/it's.json).`,
      `# It runs kith 9.8.7 at ${dir}/node_modules/kith with Node ${process.version}; after moving or removing either, run install-plugin again.`,
      expect.stringMatching(/^_gone\(\) \{/),
      expect.stringMatching(new RegExp(`^\\[ -x '${process.execPath}' \\] \\|\\| _gone `)),
      expect.stringMatching(/^\[ -f '.*\/node_modules\/kith\/dist\/src\/cln\/main\.js' \] \|\| _gone /),
      `exec '${process.execPath}' '${dir}/node_modules/kith/dist/src/cln/main.js' '${dir}/it'\\''s.json'`,
      '',
    ])
  })

  it('when the kith it names is gone: one broken log line for lightningd and one on stderr, exit 1', async () => {
    const dir = await tempDir()
    const r = runtime(dir)
    const plugin = join(dir, 'kith-cln')
    await writeFile(plugin, pluginScript(r, '/l/lightningd.sqlite3', join(dir, 'cln-plugin.json')), {
      mode: 0o700,
    })
    const ran = await runTracked(plugin, [])
    const line = `kith-cln: stopped: kith's plugin ${r.main} is gone since 'kith cln install-plugin' ran: install kith again (with the Node lightningd should use) and run its 'kith cln install-plugin' [KITH_NOT_INSTALLED]`
    expect(ran.code).toBe(1)
    expect(ran.stderr).toBe(`${line}\n`)
    expect(JSON.parse(ran.stdout)).toEqual({
      jsonrpc: '2.0',
      method: 'log',
      params: { level: 'broken', message: line },
    })
  })

  it('a release executable: it runs that one file with cln-plugin, and says which release', async () => {
    const dir = await tempDir()
    const file = join(dir, 'bin', 'kith-9.8.7-linux-x64')
    const release = {
      ...runtime(dir),
      node: file,
      kithRoot: join(dir, 'bin'),
      main: file,
      release: 'kith-9.8.7-linux-x64',
    }
    expect(pluginScript(release, '/l/lightningd.sqlite3', join(dir, 'cln-plugin.json')).split('\n')).toEqual([
      '#!/bin/sh',
      `# kith live replication of /l/lightningd.sqlite3, written by 'kith cln install-plugin' (its files: ${dir}/cln-plugin.json).`,
      `# It runs the release kith-9.8.7-linux-x64 (Node ${process.version} inside) at ${file}; after moving or removing it, run install-plugin again.`,
      expect.stringMatching(/^_gone\(\) \{/),
      expect.stringMatching(new RegExp(`^\\[ -x '${file}' \\] \\|\\| _gone `)),
      `exec '${file}' cln-plugin '${dir}/cln-plugin.json'`,
      '',
    ])
    const plugin = join(dir, 'kith-cln')
    await writeFile(plugin, pluginScript(release, '/l/lightningd.sqlite3', join(dir, 'cln-plugin.json')), {
      mode: 0o700,
    })
    const ran = await runTracked(plugin, [])
    expect(ran.code).toBe(1)
    expect(ran.stderr).toBe(
      `kith-cln: stopped: kith's release ${file} is gone since 'kith cln install-plugin' ran: put it back, or run the 'kith cln install-plugin' of the kith release lightningd should use [KITH_NOT_INSTALLED]\n`,
    )
  })

  it('when the Node it names is gone: the same, naming that Node', async () => {
    const dir = await tempDir()
    const plugin = join(dir, 'kith-cln')
    const gone = { ...runtime(dir), node: join(dir, 'nvm', 'v20.0.0', 'bin', 'node') }
    await writeFile(plugin, pluginScript(gone, '/l/lightningd.sqlite3', join(dir, 'cln-plugin.json')), {
      mode: 0o700,
    })
    const ran = await runTracked(plugin, [])
    expect(ran.code).toBe(1)
    expect(ran.stderr).toMatch(
      new RegExp(`^kith-cln: stopped: Node ${gone.node} is gone .*\\[KITH_NOT_INSTALLED\\]\\n$`),
    )
  })
})
