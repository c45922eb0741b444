/**
 * Every backup is checked against the node's own truth (coordinator/source-checks.ts): a CLN hsm_secret
 * makes a node id, emergency.recover opens with that hsm_secret's key, a CLN database names the same
 * node, a SQLite source is SQLite. The attacker here is the hurried operator (or a script) pointing kith
 * at the wrong files: another node's hsm_secret, a text file as a database, a path twice. Files are CLN's
 * own test data (test/vectors/cln.json).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Database } from '../../src/disk/sqlite-driver.js'
import { cli, kithJson, statusJson } from '../helpers/cli.js'
import { createClnDb } from '../helpers/lightningd.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()
const vectors = JSON.parse(await readFile(join(import.meta.dirname, '..', 'vectors', 'cln.json'), 'utf8'))
const hex = (h: string) => Buffer.from(h, 'hex')
const hsmOf = (name: string) => vectors.hsmSecret.find((h: { name: string }) => h.name === name)

describe("sources are checked against the node's own formats", () => {
  let gs: LocalGuardian[]
  let work: string
  let v: (...args: string[]) => string[]
  let hsm: string
  const heads = () => gs.map((g) => g.guardian.db.vaults.all()[0]?.headVersion ?? 0)
  const sourceNames = async () =>
    ((await kithJson(...v('sources'))) as { sources?: { name: string }[] }).sources?.map((s) => s.name) ?? []

  beforeAll(async () => {
    ;({ gs, work, v } = await localVault(3, 2, 2, fleet))
    hsm = join(work, 'hsm_secret')
    await writeFile(hsm, hex(hsmOf('pyln l1 (mnemonic)').file), { mode: 0o600 })
    await writeFile(join(work, 'emergency.recover'), hex(vectors.emergencyRecover.modern.file))
  })

  it("add-source finds the hsm_secret's node and emergency.recover's channels; status shows them", async () => {
    const added = await kithJson(...v('add-source', 'cln-hsm', hsm))
    expect(added['checked']).toMatchObject({
      hsmForm: 'mnemonic',
      nodeId: hsmOf('pyln l1 (mnemonic)').nodeId,
    })
    expect(JSON.stringify(added)).not.toMatch(/hsmHash/)
    const scb = await kithJson(...v('add-source', 'cln-emergency', join(work, 'emergency.recover')))
    expect(scb['checked']).toMatchObject({ channels: 4 })
    expect((scb['checked'] as { peers: string[] }).peers).toHaveLength(4)
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 1, committed: true })
    const status = await statusJson(...v('status'))
    expect(status['node']).toEqual({ id: hsmOf('pyln l1 (mnemonic)').nodeId, from: 'hsm_secret' })
    expect(status['verdict']).toBe('safe')
  })

  it('an emergency.recover of another node, a text file as SQLite or a path twice is refused at add-source; nothing is added', async () => {
    const before = await sourceNames()
    const other = join(work, 'other.recover')
    await writeFile(other, hex(vectors.emergencyRecover.otherNode.file))
    const r1 = await cli(...v('add-source', 'cln-emergency', other, '--name', 'other'))
    expect(r1.code).not.toBe(0)
    expect(r1.stderr).toMatch(/other is not .*\[SOURCE_MISMATCH\]/)
    const text = join(work, 'notes.sqlite3')
    await writeFile(text, 'these are my notes, not a database\n')
    const r2 = await cli(...v('add-source', 'sqlite', text))
    expect(r2.code).not.toBe(0)
    expect(r2.stderr).toMatch(/\[SOURCE_MISMATCH\]/)
    const r3 = await cli(...v('add-source', 'file', hsm, '--name', 'again'))
    expect(r3.code).not.toBe(0)
    expect(r3.stderr).toMatch(/already backed up, as source hsm_secret.*\[INVALID_SOURCE\]/)
    expect(await sourceNames()).toEqual(before)
  })

  it("another node's hsm_secret at a later backup: refused, this node's kept in the new version, status at-risk until the right one is back", async () => {
    const right = await readFile(hsm)
    await writeFile(hsm, hex(hsmOf('pyln l2 (plain)').file))
    const r = await cli(...v('backup', '--json'))
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/hsm_secret \[SOURCE_MISMATCH\].*\[SOURCE_NOT_READ\]/)
    const failed = (JSON.parse(r.stdout) as { failed: { reason: string; asOf: { version: number } }[] })
      .failed
    expect(failed).toEqual([
      expect.objectContaining({
        source: 'hsm_secret',
        code: 'SOURCE_MISMATCH',
        reason: expect.stringMatching(
          /^hsm_secret is not this node's hsm_secret: it makes node 022d223620a359a4…, this vault's node is /,
        ),
        asOf: { version: 1, at: expect.any(Number) },
      }),
    ])
    // the version that says so keeps this node's hsm_secret of version 1, not the other node's
    expect(heads()).toEqual([2, 2, 2])
    const status = await statusJson(...v('status'))
    expect(status).toMatchObject({ verdict: 'at-risk', newestVersion: 2 })
    expect((status['reasons'] as string[])[0]).toMatch(/^SOURCE_MISMATCH: /)
    // the right file back: the next backup is checked again and the state is safe again
    await writeFile(hsm, right)
    await kithJson(...v('backup'))
    expect((await statusJson(...v('status')))['verdict']).toBe('safe')
  })

  it('the full drill restores them from the guardians and checks them again: the same node, the same channels', async () => {
    const drill = await kithJson(...v('drill', '--restore'))
    const files = (
      drill['restore'] as { files: { source: string; check: { ok: boolean; summary: string } }[] }
    ).files
    const bySource = Object.fromEntries(files.map((f) => [f.source, f.check]))
    expect(bySource['hsm_secret']).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^CLN hsm_secret \(mnemonic\), node 038194b5f32bdf0a…/),
    })
    expect(bySource['cln-emergency']).toMatchObject({
      ok: true,
      summary: 'CLN emergency.recover, 4 channel(s) with 4 peer(s)',
    })
  })

  it("a CLN database naming another node than the hsm_secret's is refused", async () => {
    const db = join(work, 'lightningd.sqlite3')
    createClnDb(db, 5)
    const d = new Database(db)
    d.prepare("INSERT INTO vars (name, blobval) VALUES ('node_id', ?)").run(
      hex(hsmOf('pyln l2 (plain)').nodeId),
    )
    d.close()
    const r = await cli(
      'cln',
      'install-plugin',
      '--db',
      db,
      '--plugin-dir',
      join(work, 'plugins'),
      '--data-dir',
      join(work, 'vault'),
      '--from-clone',
    )
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(
      /names node 022d223620a359a4…, this vault's hsm_secret makes node .*\[SOURCE_MISMATCH\]/,
    )
  })
})
