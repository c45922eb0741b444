/**
 * `kith recover --out` that cannot be restored into is refused before any friend is asked: a file, a
 * symbolic link, a directory this user cannot write in; with --resume, an empty passphrase file. No
 * guardian holds a request afterwards.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, recoverArgs } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'

const fleet = localFleet()

describe('recover --out, checked before anyone is asked', () => {
  let gs: LocalGuardian[]
  let work: string
  let vault: string
  beforeAll(async () => {
    ;({ gs, work, vault } = await backedUpVault(3, 2, 2, fleet))
  })
  const requests = () => gs.reduce((n, g) => n + g.guardian.db.requests.list().length, 0)

  it('a file, a symbolic link, a folder this user cannot write in: LOCAL_PATH_REFUSED, exit 1, no request made', async () => {
    const file = join(work, 'out.txt')
    await writeFile(file, 'not a folder')
    const link = join(work, 'out-link')
    await mkdir(join(work, 'real'))
    await symlink(join(work, 'real'), link)
    const locked = join(work, 'locked')
    await mkdir(locked, { mode: 0o500 })
    const cases: [string, RegExp][] = [
      [file, /it is not a directory/],
      [link, /symbolic link/],
    ]
    // root writes anywhere: the unwritable case holds only for another user
    if (process.getuid?.() !== 0) cases.push([locked, /cannot write there/])
    for (const [out, why] of cases) {
      const r = await cli('recover', ...recoverArgs(vault, gs, out))
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(why)
      expect(r.stderr).toMatch(/\[LOCAL_PATH_REFUSED\]/)
    }
    expect(requests()).toBe(0)
    await chmod(locked, 0o700)
  })

  it('--resume with an empty passphrase file is refused before anyone is asked, not after the friends approved', async () => {
    const empty = join(work, 'empty-passphrase')
    await writeFile(empty, '', { mode: 0o600 })
    const r = await cli(
      'recover',
      ...recoverArgs(vault, gs, join(work, 'out-resume')),
      '--resume',
      '--passphrase-file',
      empty,
      '--data-dir',
      join(work, 'resumed'),
    )
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/passphrase file .* is empty/)
    // and two secrets asked of one standard input: refused at once
    const both = await cli(
      'recover',
      ...recoverArgs(vault, gs, join(work, 'out-stdin')),
      '--resume',
      '--paper-share',
      '-',
      '--passphrase-file',
      '-',
      '--data-dir',
      join(work, 'resumed-stdin'),
    )
    expect(both.code).not.toBe(0)
    expect(both.stderr).toMatch(/would both read standard input/)
    expect(requests()).toBe(0)
  })
})
