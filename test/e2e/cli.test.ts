/**
 * The compiled `kith` binary, spawned as a user runs it: help and suggestions, defaults from KITH_* and
 * the config file, one-line failures, secrets from standard input or a file, daemons that stop cleanly
 * on a signal, and KITH_DURATIONS read by a spawned process (a typo stops it).
 */
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { DEFAULT_DURATIONS } from '../../src/time/durations.js'
import { CLI, fleet, GuardianProcess, kithResult, kithWith, spawnWatch } from '../helpers/daemons.js'
import { runTracked } from '../helpers/procs.js'
import { tempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const kith = kithResult
const { started } = fleet()

describe('kith CLI (compiled, spawned)', () => {
  it('--help lists the command groups and --version prints the package version', async () => {
    const help = await kith('--help')
    expect(help.code).toBe(0)
    for (const group of ['guardian', 'vault', 'recover', 'cln'])
      expect(help.stdout).toContain(`kith ${group}`)
    const version = await kith('--version')
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('kith alone shows help; a mistyped command gets a suggestion; completion prints a script', async () => {
    const bare = await kith()
    expect(bare.code).toBe(0)
    expect(bare.stdout).toContain('kith vault')
    const typo = await kith('vualt', 'status')
    expect(typo.code).toBe(2)
    expect(typo.stderr.trim()).toBe('kith: unknown command. Did you mean vault?')
    expect((await kith('completion')).stdout).toContain('kith-completions')
  })

  it('data dirs and the passphrase file come from KITH_* or the config file, unless the command line says', async () => {
    const root = await tempDir()
    const viaEnv = join(root, 'env-vault')
    const config = join(root, 'config.json')
    const viaConfig = join(root, 'config-guardian')
    await writeFile(config, JSON.stringify({ guardian: { 'data-dir': viaConfig } }))
    const [byEnv, byConfig] = await Promise.all([
      kithWith({ KITH_VAULT_DIR: viaEnv }, 'vault', 'init', '-k', '2', '--json'),
      kithWith({ KITH_CONFIG: config }, 'guardian', 'init', '--listen', '/ip4/127.0.0.1/tcp/0', '--json'),
    ])
    expect([byEnv.code, byConfig.code]).toEqual([0, 0])
    expect((await stat(join(viaEnv, 'vault.key'))).isFile()).toBe(true)
    expect((await stat(join(viaConfig, 'guardian.json'))).isFile()).toBe(true)
    await writeFile(config, '{ not json')
    const bad = await kithWith({ KITH_CONFIG: config }, 'vault', 'status', '--offline')
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('is not JSON') })
  })

  it('a file this user may not read, as every option that reads one: BAD_PATH, one line, exit 1', async (ctx) => {
    // only root can make a file another user cannot read and run kith as that user
    if (process.getuid?.() !== 0 || (await runTracked('setpriv', ['--help'])).code !== 0) return ctx.skip()
    // in /tmp itself: the test run's temporary folder (TMPDIR) is root's alone, all the way up
    const dir = await mkdtemp('/tmp/kith-other-user-')
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    await chmod(dir, 0o711) // the other user may pass through, not list
    const secret = join(dir, 'root-only')
    await writeFile(secret, 'kinvite1… or a passphrase', { mode: 0o600 })
    // the folder is the other user's, so that nothing but the file is refused
    const theirs = join(dir, 'theirs')
    await runTracked('install', ['-d', '-o', '65534', '-g', '65534', theirs])
    const asNobody = (...args: string[]) =>
      runTracked(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args],
        {
          env: { ...process.env, HOME: theirs },
        },
      )
    for (const [option, argv] of [
      ['--kit', ['recover', '--kit', secret, '--out', join(theirs, 'out')]],
      [
        '--passphrase-file',
        ['vault', 'init', '-k', '1', '--passphrase-file', secret, '--data-dir', join(theirs, 'v')],
      ],
      ['--invite-file', ['vault', 'add-guardian', '--invite-file', secret, '--data-dir', join(theirs, 'v')]],
    ] as const) {
      const r = await asNobody(...argv)
      expect(r.code).toBe(1)
      expect(r.stderr.trim().split('\n')).toEqual([
        `kith: ${option} ${secret}: this user is not allowed to use it [BAD_PATH]`,
      ])
    }
  })

  it('bad input gives one line and a non-zero exit', async () => {
    const kit = await kith('recover', '--kit', '/nonexistent/kit.txt', '--out', '/tmp/never')
    expect(kit.code).toBe(1)
    expect(kit.stderr.trim().split('\n')).toHaveLength(1)
    expect(kit.stderr).toContain('[BAD_PATH]')
    const unknown = await kith('frobnicate')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
  })
})

/** The compiled CLI with `input` on its standard input. */
function withStdin(input: string, ...args: string[]) {
  return runTracked(process.execPath, [CLI, ...args], { input })
}

describe('secrets never on the command line (compiled, spawned)', () => {
  it('the passphrase and the invites come from standard input or a file; the key file is sealed with it', async () => {
    const g = await GuardianProcess.init(await tempDir())
    started.push(g)
    await g.start()
    const dir = join(await tempDir(), 'vault')
    const init = await withStdin(
      'correct horse\n',
      'vault',
      'init',
      '-k',
      '2',
      '--data-dir',
      dir,
      '--passphrase-file',
      '-',
    )
    expect(init.code).toBe(0)
    // without the passphrase the key file does not open
    expect((await kith('vault', 'status', '--data-dir', dir, '--offline')).stderr).toContain(
      '[WRONG_PASSPHRASE]',
    )
    const pass = join(dir, '..', 'pass')
    await writeFile(pass, 'correct horse\n', { mode: 0o600 })
    const invite = await g.inviteText()
    const added = await withStdin(
      `${invite}\n`,
      'vault',
      'add-guardian',
      '--invite-file',
      '-',
      '--data-dir',
      dir,
      '--passphrase-file',
      pass,
      '--json',
    )
    expect(added.code).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ guardians: 1 })
    const both = await withStdin(
      'x',
      'vault',
      'add-guardian',
      '--invite-file',
      '-',
      '--passphrase-file',
      '-',
      '--data-dir',
      dir,
    )
    expect(both.code).toBe(2)
  })
})

describe('daemons stop on a signal (compiled, spawned)', () => {
  it('guardian start stops cleanly on SIGINT and on SIGTERM, exiting 0', async () => {
    const g = await GuardianProcess.init(await tempDir('kith-g-'))
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      await g.start()
      expect(await g.stop(signal)).toBe(0)
      expect(g.output).toMatch(/stopped\n$/)
    }
  })

  it('vault watch stops on SIGTERM, saying so', async () => {
    const dir = join(await tempDir('kith-node-'), 'vault')
    await kith('vault', 'init', '-k', '2', '--data-dir', dir)
    const w = spawnWatch(dir, '--retry', '1h')
    await waitUntil(() => /watching 0 source/.test(w.output()), w.output)
    const exited = new Promise<number | null>((r) => w.proc.once('exit', (code) => r(code)))
    w.proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(w.output()).toMatch(/stopped/)
  })
})

describe('KITH_DURATIONS (compiled, spawned)', () => {
  it('is read by a spawned process, and a typo stops the kith command before it does anything', async () => {
    const env = { ...process.env, KITH_DURATIONS: 'step=2s,antiEntropy=100ms' }
    const script = `import { duration } from ${JSON.stringify(join(CLI, '..', '..', 'time', 'durations.js'))}
process.stdout.write(JSON.stringify([duration('step'), duration('antiEntropy'), duration('dial')]))`
    const { stdout } = await runTracked(process.execPath, ['--input-type=module', '-e', script], { env })
    expect(JSON.parse(stdout)).toEqual([2000, 100, DEFAULT_DURATIONS.dial])
    const typo = await kithWith({ KITH_DURATIONS: 'stepp=2s' }, 'vault', 'sources')
    expect(typo.code).toBe(1)
    expect(typo.stderr).toMatch(/^kith: KITH_DURATIONS: unknown name "stepp" .*\[BAD_DURATIONS\]$/m)
    expect(typo.stdout).toBe('')
  })
})
