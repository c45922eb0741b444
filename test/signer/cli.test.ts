/**
 * `kith lss serve` refuses bad input with one line, a stable code and a non-zero exit, before it changes
 * anything: an address that is not host:port, nothing to serve, a --store that is another database, a
 * vault that is not there.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Database } from '../../src/disk/sqlite-driver.js'
import { cli } from '../helpers/cli.js'
import { localFleet, localVault } from '../helpers/local.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()

describe('kith lss serve, given bad input', () => {
  it('an address that is not host:port, or nothing to serve: a usage error, exit 2', async () => {
    const dir = join(await tempDir(), 'vault')
    const bad = await cli('lss', 'serve', '--listen', '127.0.0.1', '--data-dir', dir)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--listen 127\.0\.0\.1: give host:port/)
    const none = await cli('lss', 'serve', '--listen', 'off', '--data-dir', dir)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/nothing to serve/)
  })

  it('no vault there: VAULT_NOT_INITIALIZED, exit 1', async () => {
    const r = await cli('lss', 'serve', '--data-dir', join(await tempDir(), 'nothing'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/\[VAULT_NOT_INITIALIZED\]/)
  })

  it('a --store that is another database: refused, and the file and the vault are left as they were', async () => {
    const { work, dir, v } = await localVault(3, 2, 2, fleet)
    const other = join(work, 'wallet.sqlite3')
    const db = new Database(other)
    db.exec("CREATE TABLE vars (name TEXT PRIMARY KEY, intval INTEGER); INSERT INTO vars VALUES ('x', 1)")
    db.close()
    const before = await readFile(other)
    const r = await cli('lss', 'serve', '--store', other, '--data-dir', dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/is not a kith signer store \[INVALID_SOURCE\]/)
    expect(await readFile(other)).toEqual(before)
    const sources = await cli(...v('sources', '--json'))
    expect(sources.stdout).not.toContain('signer')
  })
})
