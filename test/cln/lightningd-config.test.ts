/**
 * What kith cln install-plugin reads of lightningd's own config (CLN's lightningd-config(5): the general
 * file, then the network's, the later `wallet=` winning) and what it tells the operator to write there:
 * a PostgreSQL wallet is refused before anything is installed (its db_write hook carries no writes), and
 * the advice is the `important-plugin=` line for lightningd's config and a restart, never
 * `lightning-cli plugin start` (the plugin is not dynamic).
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  isAutoloadedPluginDir,
  refusePostgresWallet,
  walletSetting,
} from '../../src/cln/lightningd-config.js'
import { MANIFEST } from '../../src/cln/rpc.js'
import { cli, kithJson } from '../helpers/cli.js'
import { createClnDb } from '../helpers/lightningd.js'
import { localFleet, localVault } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'

const fleet = localFleet()

/** A lightning-dir with a bitcoin network folder and its database. */
async function lightningDir(general?: string, network?: string) {
  const dir = await fileTempDir('kith-lightning-')
  await mkdir(join(dir, 'bitcoin'))
  const db = join(dir, 'bitcoin', 'lightningd.sqlite3')
  createClnDb(db)
  if (general !== undefined) await writeFile(join(dir, 'config'), general)
  if (network !== undefined) await writeFile(join(dir, 'bitcoin', 'config'), network)
  return { dir, db }
}

describe("lightningd's config", () => {
  it('wallet= is read as lightningd reads it: comments skipped, the later line winning', async () => {
    expect(walletSetting('# wallet=postgres://x\nalias=me\n')).toBeUndefined()
    expect(walletSetting('wallet=postgres://a\nwallet = sqlite3:///x.sqlite3\n')).toBe('sqlite3:///x.sqlite3')
    const network = await lightningDir('wallet=sqlite3:///x', 'wallet=postgres://user:pass@localhost:5432/db')
    await expect(refusePostgresWallet(network.db)).rejects.toThrow(/wallet=postgres.*SQLite database only/)
    const general = await lightningDir('wallet=postgres://u@h/db')
    await expect(refusePostgresWallet(general.db)).rejects.toMatchObject({ code: 'CLN_POSTGRES_UNSUPPORTED' })
    const overridden = await lightningDir('wallet=postgres://u@h/db', 'wallet=sqlite3:///x')
    await expect(refusePostgresWallet(overridden.db)).resolves.toBeUndefined()
    await expect(refusePostgresWallet((await lightningDir()).db)).resolves.toBeUndefined()
    expect(isAutoloadedPluginDir(network.db, join(network.dir, 'plugins'))).toBe(true)
    expect(isAutoloadedPluginDir(network.db, join(network.dir, 'kith'))).toBe(false)
    expect(MANIFEST.dynamic).toBe(false)
  })

  it('a PostgreSQL wallet: install-plugin refuses, and installs nothing', async () => {
    const work = await fileTempDir()
    const vault = join(work, 'vault')
    await kithJson('vault', 'init', '-k', '2', '--data-dir', vault)
    const ln = await lightningDir(undefined, 'wallet=postgres://user:pass@localhost:5432/db\n')
    const r = await cli(
      'cln',
      'install-plugin',
      '--db',
      ln.db,
      '--plugin-dir',
      join(ln.dir, 'kith'),
      '--data-dir',
      vault,
      '--from-clone',
    )
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toMatch(/wallet=postgres.*\[CLN_POSTGRES_UNSUPPORTED\]$/)
    await expect(stat(join(ln.dir, 'kith', 'kith-cln'))).rejects.toThrow()
    expect(await readdir(join(vault, 'streams')).catch(() => [])).toEqual([])
  })

  it("the advice: the important-plugin line for lightningd's config, then a restart; a plugins folder is said to load it unimportant", async () => {
    const { dir: vault } = await localVault(3, 2, 2, fleet)
    const ln = await lightningDir()
    const r = await cli(
      'cln',
      'install-plugin',
      '--db',
      ln.db,
      '--plugin-dir',
      join(ln.dir, 'kith'),
      '--data-dir',
      vault,
      '--from-clone',
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Add this line to ${join(ln.dir, 'config')}`)
    expect(r.stdout).toContain(`  important-plugin=${join(ln.dir, 'kith', 'kith-cln')}`)
    expect(r.stdout).toMatch(/restart lightningd: the plugin is not dynamic/)
    expect(r.stdout).not.toMatch(/lightning-cli plugin start <path>|\(or: lightning-cli plugin start/)
    const again = await cli(
      'cln',
      'install-plugin',
      '--db',
      ln.db,
      '--plugin-dir',
      join(ln.dir, 'plugins'),
      '--data-dir',
      vault,
      '--from-clone',
    )
    expect(again.stdout).toMatch(/plugins folder, so lightningd loads it, but not as important/)
  })
})
