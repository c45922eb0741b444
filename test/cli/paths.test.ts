/**
 * Every path a command line names, given a folder where a file is wanted (or a file where a folder is),
 * and a path that is not there: one line naming the option and why, a usage or failure exit, never an
 * internal error, and nothing made or changed. (A file this user may not read: test/e2e/cli.test.ts,
 * where the CLI runs as another user.)
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, kithJson, statusJson } from '../helpers/cli.js'
import { fileTempDir } from '../helpers/tmp.js'

let work: string
let vault: string
let folder: string
let file: string
let missing: string
let kvault: string
let guardianAddr: string

beforeAll(async () => {
  work = await fileTempDir()
  vault = join(work, 'vault')
  await kithJson('vault', 'init', '-k', '2', '-w', '2', '--data-dir', vault)
  kvault = (await statusJson('vault', 'status', '--offline', '--data-dir', vault))['vault'] as string
  // an address no guardian listens on: nothing is ever dialled, the path is refused first
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  guardianAddr = `/ip4/127.0.0.1/tcp/9/p2p/${peer.toString()}`
  folder = join(work, 'a-folder')
  await mkdir(folder)
  file = join(work, 'a-file')
  await writeFile(file, 'x')
  missing = join(work, 'not-there')
})

/** [what is tried, its argv (given the bad path), the option it names] */
const cases = (): [string, (bad: string) => string[], string][] => [
  [
    'vault init --passphrase-file',
    (p) => ['vault', 'init', '-k', '2', '--passphrase-file', p, '--data-dir', join(work, 'v2')],
    '--passphrase-file',
  ],
  [
    'vault status --passphrase-file',
    (p) => ['vault', 'status', '--offline', '--passphrase-file', p, '--data-dir', vault],
    '--passphrase-file',
  ],
  [
    'vault add-guardian --invite-file',
    (p) => ['vault', 'add-guardian', '--invite-file', p, '--data-dir', vault],
    '--invite-file',
  ],
  [
    'vault add-source --hsm-passphrase-file',
    (p) => ['vault', 'add-source', 'cln-hsm', file, '--hsm-passphrase-file', p, '--data-dir', vault],
    '--hsm-passphrase-file',
  ],
  ['recover --kit', (p) => ['recover', '--kit', p, '--out', join(work, 'out')], '--kit'],
  [
    'recover --paper-share',
    (p) => [
      'recover',
      '--vault',
      kvault,
      '--guardian',
      guardianAddr,
      '--paper-share',
      p,
      '--out',
      join(work, 'out'),
    ],
    '--paper-share',
  ],
  [
    'cln install-plugin --db',
    (p) => ['cln', 'install-plugin', '--db', p, '--plugin-dir', folder, '--data-dir', vault],
    '--db',
  ],
]

describe('path options: a folder where a file is read', () => {
  for (const [what, argv, option] of cases())
    it(what, async () => {
      const r = await cli(...argv(folder))
      expect([0, 70]).not.toContain(r.code)
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`${option} ${folder}: this is a folder; give a file`),
      ])
    })
})

describe('path options: a file that is not there', () => {
  for (const [what, argv, option] of cases())
    it(what, async () => {
      const r = await cli(...argv(missing))
      expect([0, 70]).not.toContain(r.code)
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`${option} ${missing}: there is no such file or folder`),
      ])
    })
})

describe('path options: a file where a folder is kept, a folder where a file is written', () => {
  it('--data-dir that is a file, for every group', async () => {
    for (const argv of [
      ['vault', 'status', '--offline'],
      ['guardian', 'status'],
      ['lss', 'serve'],
      ['cln', 'install-plugin', '--refresh'],
    ]) {
      const r = await cli(...argv, '--data-dir', file)
      expect(r.code).toBe(1)
      expect(r.stderr.trim()).toBe(`kith: --data-dir ${file}: this is a file; give a folder [BAD_PATH]`)
    }
  })

  it('--log-file that is a folder, or in a folder that is not there', async () => {
    const r = await cli('vault', 'status', '--offline', '--log-file', folder, '--data-dir', vault)
    expect(r.stderr.trim()).toBe(`kith: --log-file ${folder}: this is a folder; give a file name [BAD_PATH]`)
    const gone = await cli(
      'vault',
      'status',
      '--offline',
      '--log-file',
      join(missing, 'kith.log'),
      '--data-dir',
      vault,
    )
    expect(gone.stderr).toMatch(/--log-file .*: its folder is not there; make it first \[BAD_PATH\]/)
  })

  it('--out of kit and paper-share that is a folder; --plugin-dir that is a file; --store that is a folder', async () => {
    await mkdir(join(work, 'kit.txt'))
    const kit = await cli('vault', 'kit', '--out', join(work, 'kit'), '--data-dir', vault)
    expect(kit.stderr.trim()).toMatch(/--out .*kit\.txt: this is a folder; give a file name \[BAD_PATH\]/)
    const paper = await cli('vault', 'paper-share', '--out', join(work, 'kit'), '--data-dir', vault)
    expect(paper.stderr.trim()).toMatch(/--out .*kit\.txt: this is a folder; give a file name \[BAD_PATH\]/)
    const db = join(work, 'lightningd.sqlite3')
    await writeFile(db, '')
    const plugin = await cli('cln', 'install-plugin', '--db', db, '--plugin-dir', file, '--data-dir', vault)
    expect(plugin.stderr.trim()).toBe(`kith: --plugin-dir ${file}: this is a file; give a folder [BAD_PATH]`)
    const store = await cli('lss', 'serve', '--store', folder, '--data-dir', vault)
    expect(store.stderr.trim()).toBe(`kith: --store ${folder}: this is a folder; give a file name [BAD_PATH]`)
    // nothing was made in the vault by any of these
    expect((await readdir(vault)).sort()).not.toContain('signer-store.sqlite3')
  })
})
