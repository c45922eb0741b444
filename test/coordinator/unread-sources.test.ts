/**
 * One broken source never stops the others (coordinator/carry.ts): a backup stores every source it can
 * read, keeps each other one as its last good copy (docs/format.md §Manifest body, Unread), says which
 * failed and why, and exits SOURCE_NOT_READ. The attacker is the hurried operator: a source deleted, a
 * database replaced by a text file, another node's hsm_secret copied over this one's. Real files, real
 * SQLite, guardians on 127.0.0.1; recovery restores each failed source as its last good bytes.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { journalLogPath } from '../../src/coordinator/paths.js'
import { Vault } from '../../src/coordinator/vault.js'
import { exclusiveVault, Watcher } from '../../src/coordinator/watch.js'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { generateSecretKey } from '../../src/crypto/schnorr.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { LocalLog } from '../../src/journal/local-log.js'
import { buildVersion } from '../../src/replica/build.js'
import { openManifest, openManifestBody } from '../../src/replica/manifest.js'
import { decodeManifestBody, encodeManifestBody } from '../../src/replica/manifest-body.js'
import { cli, kithJson, RecoverRun, recoverArgs, statusJson } from '../helpers/cli.js'
import { createClnDb, dumpDb, installPlugin } from '../helpers/lightningd.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { MemoryChunkStore } from '../helpers/memory-store.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
const vectors = JSON.parse(await readFile(join(import.meta.dirname, '..', 'vectors', 'cln.json'), 'utf8'))
const hsmOf = (name: string) =>
  Buffer.from(vectors.hsmSecret.find((h: { name: string }) => h.name === name).file, 'hex')

/** The newest version's manifest as the vault's database holds it, and its body. */
async function newestBody(dir: string) {
  const vault = await Vault.open(dir, undefined, {})
  try {
    const row = vault.db.newestVersion()!
    const m = openManifest(row.manifest, vault.vaultId)
    return { manifest: m, body: openManifestBody(m, vault.dataKeys(m.epoch).manifestKey) }
  } finally {
    await vault.close()
  }
}

describe('a backup with a broken source stores the others and keeps its last good copy', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let v: (...args: string[]) => string[]
  let vaultText: string
  const path = (name: string) => join(work, name)
  /** What each source held when it was last read well. */
  const good = new Map<string, Buffer | string>()
  const heads = () => gs.map((g) => g.guardian.db.vaults.all()[0]?.headVersion ?? 0)
  const newScb = async () => {
    const bytes = randomBytes(3000)
    await writeFile(`${path('channel.backup')}.tmp`, bytes)
    await rename(`${path('channel.backup')}.tmp`, path('channel.backup'))
    good.set('channel.backup', bytes)
  }

  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    await writeFile(path('hsm_secret'), hsmOf('pyln l1 (mnemonic)'), { mode: 0o600 })
    await writeFile(path('lnd.conf'), '[Application Options]\nalias=mine\n')
    const db = new Database(path('wallet.sqlite3'))
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'first')")
    db.close()
    await newScb()
    await kithJson(...v('add-source', 'cln-hsm', path('hsm_secret')))
    await kithJson(...v('add-source', 'lnd-scb', path('channel.backup')))
    await kithJson(...v('add-source', 'sqlite', path('wallet.sqlite3')))
    await kithJson(...v('add-source', 'file', path('lnd.conf')))
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 1, committed: true })
    good.set('hsm_secret', await readFile(path('hsm_secret')))
    good.set('lnd.conf', await readFile(path('lnd.conf')))
    good.set('wallet.sqlite3', dumpDb(path('wallet.sqlite3')))
    vaultText = (await statusJson(...v('status', '--offline')))['vault'] as string
  })

  it('a deleted source: the others are committed in a new version, the deleted one kept as of version 1; exit 1 names it', async () => {
    await rm(path('lnd.conf'))
    await newScb()
    const r = await cli(...v('backup'))
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /^source lnd\.conf NOT backed up: source lnd\.conf: cannot read .*lnd\.conf \(ENOENT\) \[INVALID_SOURCE\]; the guardians keep it as of version 1 \(made .*\)$/m,
    )
    expect(r.stdout).toMatch(/Version 2 committed/)
    expect(r.stderr).toMatch(
      /1 source\(s\) not backed up: lnd\.conf \[INVALID_SOURCE\]; the others are in version 2.*\[SOURCE_NOT_READ\]/,
    )
    expect(heads()).toEqual([2, 2, 2])
    const { body } = await newestBody(dir)
    expect(body.unread).toEqual([
      { source: 'lnd.conf', asOf: 1, asOfTime: expect.any(Number), code: 'INVALID_SOURCE' },
    ])
    expect(body.files.filter((f) => f.source === 'lnd.conf')).toHaveLength(1)
  })

  it('a database replaced by a text file: --json reports each source not read, with the copy kept', async () => {
    await writeFile(path('wallet.sqlite3'), 'these are my notes now, not a database\n')
    await newScb()
    const r = await cli(...v('backup', '--json'))
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as {
      pushed: { version: number; committed: boolean }
      failed: unknown[]
    }
    expect(report.pushed).toMatchObject({ version: 3, committed: true })
    expect(report.failed).toEqual([
      expect.objectContaining({
        source: 'wallet.sqlite3',
        kind: 'sqlite',
        code: 'INVALID_SOURCE',
        asOf: { version: 2, at: expect.any(Number) },
      }),
      expect.objectContaining({
        source: 'lnd.conf',
        code: 'INVALID_SOURCE',
        asOf: { version: 1, at: expect.any(Number) },
      }),
    ])
    expect(r.stderr).toMatch(/\[SOURCE_NOT_READ\]/)
  })

  it("another node's hsm_secret: refused as SOURCE_MISMATCH, this node's kept as of the last version that read it; the channel backup still committed", async () => {
    await writeFile(path('hsm_secret'), hsmOf('pyln l2 (plain)'))
    await newScb()
    const r = await cli(...v('backup'))
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /^source hsm_secret NOT backed up: hsm_secret is not this node's hsm_secret: it makes node 022d223620a359a4…, this vault's node is .* \[SOURCE_MISMATCH\]; the guardians keep it as of version 3 \(made/m,
    )
    expect(r.stdout).toMatch(/Version 4 committed/)
    expect(heads()).toEqual([4, 4, 4])
  })

  it('status is AT-RISK: each source not read, with its code, since when, and the copy kept', async () => {
    const status = await statusJson(...v('status'))
    expect(status['verdict']).toBe('at-risk')
    const reasons = status['reasons'] as string[]
    expect(reasons.slice(0, 3)).toEqual([
      expect.stringMatching(
        /^SOURCE_MISMATCH: hsm_secret is not this node's hsm_secret: .*; source hsm_secret not read by any backup since .*: the guardians keep it as of version 3 /,
      ),
      expect.stringMatching(
        /^INVALID_SOURCE: source wallet\.sqlite3: .*; source wallet\.sqlite3 not read by any backup since/,
      ),
      expect.stringMatching(
        /^INVALID_SOURCE: source lnd\.conf: .*ENOENT.*; source lnd\.conf not read by any backup since/,
      ),
    ])
    const sources = status['sources'] as {
      name: string
      failing?: { code: string; asOf?: { version: number } }
    }[]
    expect(sources.find((s) => s.name === 'channel.backup')?.failing).toBeUndefined()
    expect(sources.find((s) => s.name === 'hsm_secret')?.failing).toMatchObject({
      code: 'SOURCE_MISMATCH',
      asOf: { version: 3 },
    })
    const human = await cli(...v('status', '--offline'))
    expect(human.stdout).toMatch(
      /source hsm_secret \(cln-hsm\): NOT READ for .* \[SOURCE_MISMATCH\], the guardians keep it as of version 3 /,
    )
  })

  it('recovery restores the newest channel backup and each failed source as its last good bytes, said as of the last version that read it', async () => {
    const out = path('restored')
    // every guardian answers (the freshness rule); two approve
    const r = new RecoverRun(...recoverArgs(vaultText, gs, out))
    for (const g of gs.slice(0, 2)) await r.approveAt(g)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    expect(await readFile(join(out, 'lnd-scb', 'channel.backup'))).toEqual(good.get('channel.backup'))
    expect(await readFile(join(out, 'hsm_secret', 'hsm_secret'))).toEqual(good.get('hsm_secret'))
    expect(await readFile(join(out, 'lnd.conf', 'lnd.conf'))).toEqual(good.get('lnd.conf'))
    expect(dumpDb(join(out, 'wallet.sqlite3', 'wallet.sqlite3'))).toBe(good.get('wallet.sqlite3'))
    const restored = await r.event('restore-done')
    expect(restored['version']).toBe(4)
    expect(restored['unread']).toEqual([
      { source: 'hsm_secret', asOf: 3, asOfTime: expect.any(Number), code: 'SOURCE_MISMATCH' },
      { source: 'wallet.sqlite3', asOf: 2, asOfTime: expect.any(Number), code: 'INVALID_SOURCE' },
      { source: 'lnd.conf', asOf: 1, asOfTime: expect.any(Number), code: 'INVALID_SOURCE' },
    ])
  })

  it('the full drill restores them and says each one as of the last version that read it', async () => {
    const r = await cli(...v('drill', '--restore'))
    expect(r.stdout).toMatch(
      /hsm_secret: as of version 3 \(made .*\): version 4 could not read it \[SOURCE_MISMATCH\]/,
    )
    expect(r.stdout).toMatch(/hsm_secret \(cln-hsm, \d+ bytes\): CLN hsm_secret \(mnemonic\)/)
  })

  it('the watch keeps going: a change backs up the others and says the source still not read', async () => {
    const vault = await Vault.open(dir, undefined, { lock: false })
    const lines: string[] = []
    const watcher = new Watcher(vault, {
      debounceMs: 100,
      retryMs: 60_000,
      onEvent: (l) => lines.push(l),
      exclusive: exclusiveVault(dir),
    })
    try {
      await newScb()
      await watcher.start()
      await waitUntil(
        () => lines.some((l) => /version 5 committed/.test(l)),
        () => lines.join('\n'),
      )
      await newScb()
      await waitUntil(
        () => lines.some((l) => /version 6 committed/.test(l)),
        () => lines.join('\n'),
      )
    } finally {
      await watcher.stop()
      await vault.close()
    }
    expect(
      lines.filter((l) => /^source hsm_secret NOT backed up: .*\[SOURCE_MISMATCH\]/.test(l)).length,
    ).toBeGreaterThan(0)
    expect(heads()).toEqual([6, 6, 6])
  })

  it('every source read again: the next backup exits 0, its version says nothing unread, and status names no source', async () => {
    await writeFile(path('hsm_secret'), good.get('hsm_secret')!)
    await writeFile(path('lnd.conf'), good.get('lnd.conf')!)
    await rm(path('wallet.sqlite3'))
    const db = new Database(path('wallet.sqlite3'))
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'again')")
    db.close()
    const r = await cli(...v('backup'))
    expect(r.code, r.stderr).toBe(0)
    expect((await newestBody(dir)).body.unread).toBeUndefined()
    // no source reason is left; what remains is the recovery made above from another directory, which
    // this live node did not make and so reports for a week (RECOVERED)
    const status = await statusJson(...v('status'))
    expect((status['reasons'] as string[]).filter((x) => !x.startsWith('RECOVERED: '))).toEqual([])
    expect(status['recovered']).toHaveLength(1)
  })
})

describe('the Unread field of a manifest body (docs/format.md §Manifest body)', () => {
  const file = {
    source: 'a',
    path: '',
    mode: 0o600,
    size: 0,
    mtime: 0,
    contentHash: new Uint8Array(32),
    chunks: [] as Uint8Array[],
  }
  const sources = [
    { name: 'a', kind: 'file' as const, origin: '/a' },
    { name: 'b', kind: 'file' as const, origin: '/b' },
  ]

  it('decodes as encoded; one naming no source, a source twice, a lowercase code, or as_of 0 beside files is refused', () => {
    const body = {
      sources,
      files: [file],
      unread: [{ source: 'a', asOf: 3, asOfTime: 1000, code: 'SOURCE_MISMATCH' }],
    }
    expect(decodeManifestBody(encodeManifestBody(body))).toEqual(body)
    const bad = [
      [{ source: 'c', asOf: 3, asOfTime: 1000, code: 'X' }],
      [
        { source: 'b', asOf: 0, asOfTime: 0, code: 'X' },
        { source: 'b', asOf: 0, asOfTime: 0, code: 'X' },
      ],
      [{ source: 'a', asOf: 3, asOfTime: 1000, code: 'enoent' }],
      [{ source: 'a', asOf: 0, asOfTime: 0, code: 'X' }],
      [{ source: 'b', asOf: 2, asOfTime: 0, code: 'X' }],
    ]
    for (const unread of bad)
      expect(() => encodeManifestBody({ sources, files: [file], unread }), JSON.stringify(unread)).toThrow(
        /malformed manifest body: value \(unread\)/,
      )
  })

  it('a version whose unread source is as of itself or later is refused when its body is opened', async () => {
    const work = await fileTempDir('kith-unread-')
    await writeFile(join(work, 'a'), 'a')
    await writeFile(join(work, 'b'), 'b')
    const keys = deriveDataKeys(new Uint8Array(32).fill(7))
    const built = await buildVersion({
      vaultSecretKey: generateSecretKey(),
      dataKeys: keys,
      epoch: 1,
      sources: [
        { name: 'a', kind: 'file', path: join(work, 'a') },
        { name: 'b', kind: 'file', path: join(work, 'b'), carried: [] },
      ],
      unread: [{ source: 'b', asOf: 1, asOfTime: 1000, code: 'INVALID_SOURCE' }],
      store: new MemoryChunkStore(),
      workers: 0,
    })
    expect(() => openManifestBody(built.manifest, keys.manifestKey)).toThrow(/value \(unread\)/)
  })
})

describe('a database a journal continues', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let v: (...args: string[]) => string[]
  const heads = () => gs.map((g) => g.guardian.db.vaults.all()[0]?.headVersion ?? 0)

  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    createClnDb(join(work, 'lightningd.sqlite3'), 5)
    await installPlugin(work, dir, join(work, 'lightningd.sqlite3'))
    await writeFile(join(work, 'config'), 'network=bitcoin\n')
    await kithJson(...v('add-source', 'file', join(work, 'config')))
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({ version: 2, committed: true })
  })

  it('replaced by a text file, it is carried with its mark unchanged, so recovery replays from the copy kept', async () => {
    const before = (await newestBody(dir)).manifest.marks
    await writeFile(join(work, 'lightningd.sqlite3'), 'not a database\n')
    await writeFile(join(work, 'config'), 'network=bitcoin\nalias=new\n')
    const r = await cli(...v('backup'))
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /^source cln-db NOT backed up: .*\[INVALID_SOURCE\]; the guardians keep it as of version 2/m,
    )
    expect(heads()).toEqual([3, 3, 3])
    const { manifest, body } = await newestBody(dir)
    expect(manifest.marks).toEqual(before)
    expect(body.unread).toEqual([
      { source: 'cln-db', asOf: 2, asOfTime: expect.any(Number), code: 'INVALID_SOURCE' },
    ])
  })

  it('with its writer started again (a log with no entry at the kept mark) it cannot be carried: nothing is stored, and status says it', async () => {
    const log = LocalLog.open(journalLogPath(dir, 'cln-db'))
    log.reset()
    log.close()
    await writeFile(join(work, 'config'), 'network=bitcoin\nalias=newer\n')
    const r = await cli(...v('backup'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/source cln-db: .*\[INVALID_SOURCE\]/)
    expect(heads()).toEqual([3, 3, 3])
    const status = await statusJson(...v('status'))
    expect(status['verdict']).toBe('at-risk')
    expect((status['reasons'] as string[])[0]).toMatch(
      /^INVALID_SOURCE: source cln-db: .*the guardians keep it as of version 2/,
    )
  })
})
