/**
 * A typo in a config file is named as what it is (real files in temp dirs, the CLI in-process): a
 * guardian.json that is not JSON, has an unknown field or a field of the wrong type is CONFIG_INVALID
 * with the line and column or the field, never "not initialized"; a missing one still is. The same for
 * the CLN plugin's cln-plugin.json (a missing one is PLUGIN_NOT_INSTALLED) and the CLI's config file
 * (a usage error, exit 2). No message quotes the file's text: a webhook URL in it may hold a token.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readCliConfig } from '../../src/cli/defaults.js'
import { readPluginConfig } from '../../src/cln/config.js'
import { guardianPaths } from '../../src/guardian/config.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { cli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

/** A fresh guardian directory, its guardian.json then replaced by `edit` of its text. */
async function guardianWith(edit: (text: string) => string): Promise<string> {
  const dir = await tempDir('kith-config-')
  await initGuardian(dir, { listen: ['/ip4/127.0.0.1/tcp/0'] })
  const path = guardianPaths(dir).config
  await writeFile(path, edit(await readFile(path, 'utf8')))
  return dir
}

const requests = (dir: string) => cli('guardian', 'requests', '--data-dir', dir, '--json')

describe('guardian.json', () => {
  it('a missing comma is CONFIG_INVALID at its line and column, not "not initialized"', async () => {
    const dir = await guardianWith((t) => t.replace('],', ']'))
    const r = await requests(dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/guardian\.json is not valid: line \d+, column \d+: expected ',' or '\}'/)
    expect(r.stderr).toContain('[CONFIG_INVALID]')
    expect(r.stderr).not.toContain('GUARDIAN_NOT_INITIALIZED')
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'CONFIG_INVALID' } })
  })

  it('a mistyped field is named, with the fields kith knows', async () => {
    const dir = await guardianWith((t) =>
      t.replace('"listen"', '"listen": ["/ip4/127.0.0.1/tcp/0"], "relay"'),
    )
    const r = await requests(dir)
    expect(r.stderr).toMatch(
      /field "relay": unknown here \(a typo\? kith knows .*relays.*\); .*\[CONFIG_INVALID\]/,
    )
  })

  it('a field of the wrong type is named', async () => {
    const dir = await guardianWith((t) =>
      t.replace(/"announce": \[[^\]]*\]/, '"announce": "/ip4/1.2.3.4/tcp/4646"'),
    )
    expect((await requests(dir)).stderr).toMatch(/field "announce": must be a list of strings/)
  })

  it('a notify target of the wrong type is named by its path; the URL is never quoted', async () => {
    const secret = 'https://hooks.example/T0KEN-abcdef'
    const dir = await guardianWith((t) =>
      t.replace('"version": 1', `"version": 1, "notify": { "webhook": "${secret}", "ntfy": 7 }`),
    )
    const r = await requests(dir)
    expect(r.stderr).toMatch(/field "notify\.ntfy": must be a string/)
    expect(r.stderr + r.stdout).not.toContain('T0KEN')
  })

  it('no guardian.json at all is still GUARDIAN_NOT_INITIALIZED', async () => {
    const dir = await guardianWith((t) => t)
    await rm(guardianPaths(dir).config)
    expect((await requests(dir)).stderr).toContain('[GUARDIAN_NOT_INITIALIZED]')
  })
})

describe("the CLN plugin's cln-plugin.json", () => {
  const config = {
    version: 1,
    vaultDir: '/v',
    stream: 'cln-db',
    db: '/l.sqlite3',
    holdMs: 3000,
    alertWebhook: 'https://hooks.example/T0KEN',
  }

  it('as install-plugin writes it, it is read whole', async () => {
    const path = join(await tempDir(), 'cln-plugin.json')
    await writeFile(path, JSON.stringify(config))
    expect(await readPluginConfig(path)).toEqual(config)
  })

  it('a hand edit that breaks it is CONFIG_INVALID naming where, not PLUGIN_NOT_INSTALLED', async () => {
    const path = join(await tempDir(), 'cln-plugin.json')
    await writeFile(path, JSON.stringify(config).replace('"holdMs":3000', '"holdMs":"3s"'))
    await expect(readPluginConfig(path)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      where: 'field "holdMs"',
    })
    // cut short: the mistake is where the file ends
    const cut = JSON.stringify(config).replace('}', '')
    await writeFile(path, cut)
    await expect(readPluginConfig(path)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      where: `line 1, column ${cut.length + 1}`,
    })
  })

  it('a missing one is PLUGIN_NOT_INSTALLED', async () => {
    await expect(readPluginConfig(join(await tempDir(), 'cln-plugin.json'))).rejects.toMatchObject({
      code: 'PLUGIN_NOT_INSTALLED',
    })
  })
})

describe("the CLI's config file", () => {
  it('a key that is not one of its settings is a usage error naming it: never a default left in force', () => {
    expect(() => readCliConfig('/c.json', '{"vault": {"datadir": "/srv/kith"}}')).toThrow(
      /the config file \/c\.json is not valid: field "vault\.datadir": unknown here/,
    )
    expect(() => readCliConfig('/c.json', '{"vault": {"data-dir": "/srv/kith"},}')).toThrow(
      /the config file \/c\.json is not JSON: line 1, column 37: expected a field name/,
    )
    expect(readCliConfig('/c.json', '{"vault": {"data-dir": "/srv/kith"}}')).toEqual({
      vault: { dataDir: '/srv/kith' },
    })
  })
})
