/**
 * The release executables (docs/release.md), run as a user runs them: from an empty folder with an empty
 * environment (`env -i`), so nothing of this clone can be used. The x64 one says its release name; both
 * hold the same blob and SHA256SUMS is true of them; two guardians from it take a vault's backup of a
 * 20 MiB file, sealed on the chunk workers the executable carries, and a recovery opens it on them again,
 * byte for byte; lightningd runs its kith-cln from the same file.
 *
 * release/ is used when it holds this build's blob (`npm run release` after the last `npm run build`):
 * the blob is made again from dist/ and looked for in each file; otherwise a release is made in a temp
 * dir. Node's debug output for worker_threads (NODE_DEBUG=worker) shows which worker code starts.
 */
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths } from '../../src/cln/config.js'
import { createClnDb, Lightningd } from '../helpers/lightningd.js'
import { type Finished, runTracked, spawnTracked } from '../helpers/procs.js'
import { fileTempDir } from '../helpers/tmp.js'
import { recoveryCode, recoveryEvent, waitUntil } from '../helpers/wait.js'

const CLONE = resolve(import.meta.dirname, '..', '..')
const VERSION = (JSON.parse(readFileSync(join(CLONE, 'package.json'), 'utf8')) as { version: string }).version
const NAMES = ['x64', 'arm64'].map((arch) => `kith-${VERSION}-linux-${arch}`)
const FUSE_SET = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'

/** The release folder to test: release/ if every file in it holds `blob`, else a new release's folder. */
async function releaseFor(blob: Buffer, scratch: string): Promise<string> {
  const current = join(CLONE, 'release')
  const holds = (name: string) =>
    existsSync(join(current, name)) && readFileSync(join(current, name)).includes(blob)
  if (existsSync(join(current, 'SHA256SUMS')) && NAMES.every(holds)) return current
  const out = join(scratch, 'release')
  const made = await runTracked(process.execPath, ['scripts/release.mjs', '--out', out], { cwd: CLONE })
  expect(made.code, made.stderr).toBe(0)
  return out
}

/** A release file's run with `env` only (nothing at all by default) in `cwd`; output and status. */
function runIn(cwd: string, exe: string, args: readonly string[], env: Record<string, string> = {}) {
  return runTracked(exe, args, { cwd, env })
}

/** Its stdout parsed, or a failure with its stderr. */
function json(r: Finished): Record<string, unknown> {
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

describe('the release executable', () => {
  let dir: string
  let exe: string
  let empty: string
  let work: string
  const started: ChildProcess[] = []
  const kith = (...args: string[]) => runIn(empty, exe, args)

  beforeAll(async () => {
    const scratch = await fileTempDir('kith-release-')
    const blobFile = join(scratch, 'blob')
    const blob = await runTracked(process.execPath, ['scripts/release.mjs', '--blob', blobFile], {
      cwd: CLONE,
    })
    expect(blob.code, blob.stderr).toBe(0)
    dir = await releaseFor(await readFile(blobFile), scratch)
    // installed outside the clone, as a user puts it in their PATH
    exe = join(scratch, 'bin', NAMES[0]!)
    await mkdir(join(scratch, 'bin'))
    await copyFile(join(dir, NAMES[0]!), exe)
    await chmod(exe, 0o755)
    // an empty folder to run in, outside the clone; the story's files in another
    empty = join(scratch, 'empty')
    work = join(scratch, 'work')
    await Promise.all([mkdir(empty), mkdir(work)])
    for (const d of [empty, exe]) expect(d.startsWith(CLONE)).toBe(false)
    // making a release (both architectures) takes half a minute on two idle cores; more beside other tests
  }, 300_000)

  it('--version says the release name', async () => {
    const r = await kith('--version')
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toBe(`${VERSION} (${NAMES[0]})\n`)
  })

  it('SHA256SUMS names both files, with their hashes; both hold the same blob', async () => {
    const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8')
    const lines = sums.trimEnd().split('\n')
    expect(lines.map((l) => l.split('  ')[1])).toEqual(NAMES)
    for (const line of lines) {
      const [hash, name] = line.split('  ') as [string, string]
      const bytes = await readFile(join(dir, name))
      expect(createHash('sha256').update(bytes).digest('hex'), name).toBe(hash)
      expect(bytes.includes(FUSE_SET), name).toBe(true)
    }
  })

  it('--help and a mistyped command read as from npm (yargs and its messages are in the file)', async () => {
    const help = await kith('--help')
    expect(help.code).toBe(0)
    for (const group of ['guardian', 'vault', 'recover', 'cln', 'lss'])
      expect(help.stdout).toContain(`kith ${group}`)
    expect(help.stdout).toContain('Show help')
    const typo = await kith('vualt', 'status')
    expect(typo).toMatchObject({ code: 2, stderr: 'kith: unknown command. Did you mean vault?\n' })
    const german = await runIn(empty, exe, ['--help'], { LANG: 'de_DE.UTF-8' })
    expect(german.stdout).toContain('Hilfe anzeigen')
  })

  describe('a vault backed up to two guardians and recovered, all from the release', () => {
    const guardians: { dir: string; peerId: string; output: () => string }[] = []
    let vault: string
    let big: string

    /** A guardian initialized and started by the release file; its peer ID once it listens. */
    async function guardian(name: string) {
      const gdir = join(work, name)
      const init = json(
        await kith('guardian', 'init', '--data-dir', gdir, '--listen', '/ip4/127.0.0.1/tcp/0', '--json'),
      )
      const proc = spawnTracked(
        exe,
        ['guardian', 'start', '--data-dir', gdir, '--no-web', '--anti-entropy', '1s'],
        {
          cwd: empty,
          env: {},
        },
      )
      started.push(proc)
      let output = ''
      for (const s of [proc.stdout!, proc.stderr!])
        s.on('data', (d: Buffer) => {
          output += d.toString()
        })
      await waitUntil(
        () => /listening on/.test(output),
        () => output,
        30_000,
      )
      return { dir: gdir, peerId: String(init['peerId']), output: () => output }
    }

    beforeAll(async () => {
      guardians.push(...(await Promise.all([guardian('g1'), guardian('g2')])))
      vault = join(work, 'vault')
      json(await kith('vault', 'init', '-k', '2', '-w', '2', '--data-dir', vault, '--json'))
      const invites: string[] = []
      for (const g of guardians) {
        const r = await kith(
          'guardian',
          'invite',
          '--data-dir',
          g.dir,
          '--quota',
          '1GiB',
          '--release-delay',
          '0s',
          '--json',
        )
        invites.push(String(json(r)['invite']))
      }
      const file = join(work, 'invites.txt')
      await writeFile(file, invites.join('\n'), { mode: 0o600 })
      expect(
        json(await kith('vault', 'add-guardian', '--invite-file', file, '--data-dir', vault, '--json')),
      ).toMatchObject({
        activated: true,
      })
      big = join(work, 'big.bin')
      await writeFile(big, randomBytes(20 * 1024 * 1024))
      json(await kith('vault', 'add-source', 'file', big, '--name', 'big', '--data-dir', vault, '--json'))
    })

    it('the backup of a 20 MiB file is sealed on the chunk worker the file carries, and commits', async () => {
      const r = await runIn(empty, exe, ['vault', 'backup', '--data-dir', vault, '--json'], {
        NODE_DEBUG: 'worker',
      })
      expect(json(r)['pushed']).toMatchObject({ version: 1, committed: true })
      // the worker runs the code embedded in the file (eval), not a file beside it, and not this thread
      expect(r.stderr).toMatch(/instantiating Worker\. url: null doEval: classic/)
      expect(r.stderr).toMatch(
        /starts worker script "use strict";\s+\/\/ dist\/src\/replica\/seal-worker\.js/,
      )
    })

    it('the backup gave each guardian a copy of this release file, byte for byte under its hash', async () => {
      const bytes = await readFile(exe)
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      for (const g of guardians) {
        const kept = join(g.dir, 'releases', sha256, NAMES[0]!)
        expect((await readFile(kept)).equals(bytes), g.dir).toBe(true)
        expect(
          JSON.parse(await readFile(join(g.dir, 'releases', sha256, 'release.json'), 'utf8')),
        ).toMatchObject({
          name: NAMES[0],
          sha256,
          size: bytes.length,
          // brought by the vault's coordinator, and kept by the guardian (it runs this same file) too
          sources: expect.arrayContaining([expect.objectContaining({ from: 'vault' })]),
        })
      }
    })

    it('a recovery from the kit, approved at both guardians, opens it on the open worker, byte for byte', async () => {
      json(await kith('vault', 'kit', '--data-dir', vault, '--out', join(work, 'kit'), '--json'))
      const out = join(work, 'restored')
      const proc = spawnTracked(
        exe,
        ['recover', '--kit', join(work, 'kit.txt'), '--out', out, '--json', '--poll', '200ms'],
        {
          cwd: empty,
          env: { NODE_DEBUG: 'worker' },
        },
      )
      started.push(proc)
      const r = { events: [] as Record<string, unknown>[], stderr: '' }
      let pending = ''
      proc.stdout!.on('data', (d: Buffer) => {
        pending += d.toString()
        const lines = pending.split('\n')
        pending = lines.pop()!
        for (const line of lines) if (line.trim()) r.events.push(JSON.parse(line) as Record<string, unknown>)
      })
      proc.stderr!.on('data', (d: Buffer) => {
        r.stderr += d.toString()
      })
      const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)))
      for (const g of guardians) {
        const { code } = await recoveryCode(r, g.peerId)
        expect((await kith('guardian', 'approve', '--code', code, '--data-dir', g.dir)).code).toBe(0)
      }
      const done = await recoveryEvent(r, 'restore-done')
      expect(await exited).toBe(0)
      const files = done['files'] as { source: string; path: string }[]
      expect(files.map((f) => f.source)).toEqual(['big'])
      expect((await readFile(files[0]!.path)).equals(await readFile(big))).toBe(true)
      expect(r.stderr).toMatch(
        /starts worker script "use strict";\s+\/\/ dist\/src\/replica\/open-worker\.js/,
      )
    })

    it('cln install-plugin writes an executable that runs the release file; lightningd runs it, held by W', async () => {
      const cln = join(work, 'lightning', 'bitcoin', 'lightningd.sqlite3')
      await mkdir(join(work, 'lightning', 'bitcoin'), { recursive: true })
      createClnDb(cln, 5)
      const plugins = join(work, 'lightning', 'kith')
      const args = ['--db', cln, '--plugin-dir', plugins, '--data-dir', vault, '--hold', '10s']
      const r = await kith('cln', 'install-plugin', ...args)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(`It runs the release ${NAMES[0]} (Node v24.21.0 inside): ${exe}\n`)
      const plugin = join(plugins, 'kith-cln')
      const script = await readFile(plugin, 'utf8')
      expect(script).toContain(`\nexec '${exe}' cln-plugin '${pluginPaths(vault).config}'\n`)
      expect(script).not.toContain(CLONE)
      const ln = Lightningd.spawned(plugin, cln)
      try {
        await ln.start()
        await ln.init()
        expect(await ln.pay(1)).toBe('continue')
      } finally {
        await ln.stop()
        ln.close()
      }
    })

    it('wrote nothing in the folder it ran in', async () => {
      expect(await readdir(empty)).toEqual([])
    })
  })
})
