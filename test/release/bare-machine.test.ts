/**
 * The day of the disaster on a bare machine: the new machine has the release file and the recovery kit
 * and nothing else (no Node, no npm, no node_modules, no shell: test/helpers/bare-machine.ts). The
 * friends' three guardians run as kith daemons on 127.0.0.1; the node ran the release file, so its kit
 * names it by name and hash and its backup gave each guardian a copy. The file on the new machine is
 * the one a friend's guardian kept, checked against the kit; `kith recover` there reaches the guardians
 * at the kit's addresses, two friends approve by code, and the restored files are the node's, byte for
 * byte.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { bareMachine, onBareMachine } from '../helpers/bare-machine.js'
import { fleet, type GuardianProcess, guardiansAndVault, kith } from '../helpers/daemons.js'
import { runTracked } from '../helpers/procs.js'
import { releaseFile } from '../helpers/release.js'
import { fileTempDir } from '../helpers/tmp.js'

const { started, recover } = fleet()

describe('recovery on a bare machine, from the release file alone', () => {
  let gs: GuardianProcess[]
  let work: string
  let v: (...args: string[]) => string[]
  let original: { scb: Buffer; hsm: Buffer }
  let exe: string
  let machine: string
  /** The kith file as the friend's guardian keeps it, for its page's download. */
  let fromFriend: string

  beforeAll(async () => {
    exe = await releaseFile('x64')
    ;({ gs, work, v } = await guardiansAndVault(3, 2, 2, started))
    const scb = join(work, 'channel.backup')
    const hsm = join(work, 'hsm_secret')
    original = { scb: randomBytes(5000), hsm: randomBytes(32) }
    await writeFile(scb, original.scb)
    await writeFile(hsm, original.hsm)
    await kith(...v('add-source', 'lnd-scb', scb))
    await kith(...v('add-source', 'file', hsm, '--name', 'hsm_secret'))
    // the node's kith is the release file: its backup also gives each guardian a copy of it
    const b = await runTracked(exe, v('backup'))
    expect(b.code, b.stderr).toBe(0)
    expect(JSON.parse(b.stdout).pushed).toMatchObject({ version: 1, committed: true })
    machine = await fileTempDir('kith-bare-')
  })

  it('the kit written by the release file names it, by name and SHA-256', async () => {
    const r = await runTracked(exe, v('kit', '--out', join(work, 'kit')))
    expect(r.code, r.stderr).toBe(0)
    const hash = createHash('sha256')
      .update(await readFile(exe))
      .digest('hex')
    const name = exe.split('/').pop()!
    expect(JSON.parse(r.stdout).release).toEqual({ name, sha256: hash })
    const text = await readFile(join(work, 'kit.txt'), 'utf8')
    expect(text).toContain(`kith:      ${name}\n           sha256 ${hash}`)
    // and the release's SHA256SUMS says the same
    expect(await readFile(join(exe, '..', 'SHA256SUMS'), 'utf8')).toContain(`${hash}  ${name}\n`)
  })

  it("the kith a friend's guardian kept (what its page offers) is the file the kit names", async () => {
    const kit = await readFile(join(work, 'kit.txt'), 'utf8')
    const [, name, hash] = /kith: {6}(\S+)\n {11}sha256 ([0-9a-f]{64})/.exec(kit)!
    fromFriend = join(gs[0]!.dir, 'releases', hash!, name!)
    const bytes = await readFile(fromFriend)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(hash)
  })

  it('the new machine holds that file, the kit and the C runtime: no Node, npm or node_modules', async () => {
    const files = await bareMachine(machine, fromFriend)
    await writeFile(join(machine, 'home', 'kit.txt'), await readFile(join(work, 'kit.txt')))
    expect(files.filter((f) => /node|npm/.test(f))).toEqual([])
    expect(files.filter((f) => !/^(lib|lib64)\//.test(f))).toEqual([
      'dev/null',
      'dev/random',
      'dev/urandom',
      'dev/zero',
      'kith',
    ])
    const version = await runTracked('unshare', [...onBareMachine(machine).before, '--version'])
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toContain(exe.split('/').pop())
  })

  it('kith recover there restores the newest version from the guardians, byte for byte', async () => {
    const r = recover(onBareMachine(machine), '--kit', '/home/kit.txt', '--out', '/home/restored')
    const peers = await Promise.all(gs.map(async (g) => (await g.status()).peerId))
    for (const i of [0, 1]) await r.approveAt(peers[i]!, gs[i]!.dir)
    expect(await r.exitCode(), r.stderr).toBe(0)
    const done = await r.event('restore-done')
    expect(done).toMatchObject({ version: 1 })
    const files = done['files'] as { kind: string; path: string }[]
    expect(files.map((f) => f.kind).sort()).toEqual(['file', 'lnd-scb'])
    for (const f of files) {
      expect(f.path.startsWith('/home/restored/')).toBe(true)
      const restored = await readFile(join(machine, f.path))
      expect(restored.equals(f.kind === 'file' ? original.hsm : original.scb)).toBe(true)
    }
  })
})
