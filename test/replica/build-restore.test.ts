import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/bytes.js'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { generateSecretKey } from '../../src/crypto/schnorr.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { buildVersion, type SourceSpec } from '../../src/replica/build.js'
import { DirChunkStore } from '../../src/replica/chunk-store.js'
import { openManifest, sealManifest, verifySuccessor } from '../../src/replica/manifest.js'
import { restoreVersion } from '../../src/replica/restore.js'
import { MemoryChunkStore } from '../helpers/memory-store.js'
import { expectCode, tempDir } from '../helpers/tmp.js'

async function setup() {
  const root = await tempDir()
  const node = join(root, 'node')
  await mkdir(join(node, 'lnd'), { recursive: true })
  await mkdir(join(node, 'conf', 'sub'), { recursive: true })
  const scb = join(node, 'lnd', 'channel.backup')
  await writeFile(scb, randomBytes(6000))
  await writeFile(join(node, 'conf', 'a.conf'), 'alias=kith\n')
  await writeFile(join(node, 'conf', 'sub', 'big.bin'), randomBytes(3 * 1024 * 1024))
  await writeFile(join(node, 'hsm_secret'), randomBytes(32), { mode: 0o400 })
  const sources: SourceSpec[] = [
    { name: 'lnd-scb', kind: 'lnd-scb', path: scb },
    { name: 'conf', kind: 'dir', path: join(node, 'conf') },
    { name: 'seed', kind: 'file', path: join(node, 'hsm_secret') },
  ]
  const sk = generateSecretKey()
  const keys = deriveDataKeys(new Uint8Array(randomBytes(32)))
  return { root, node, scb, sources, sk, keys, store: new DirChunkStore(join(root, 'chunks')) }
}

async function sameTree(a: string, b: string): Promise<void> {
  expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0)
}

describe('build and restore (real files)', () => {
  it('round-trips files and directories, and v2 reuses unchanged chunks', async () => {
    const s = await setup()
    const base = { vaultSecretKey: s.sk, dataKeys: s.keys, epoch: 1, sources: s.sources, store: s.store }
    const v1 = await buildVersion(base)
    expect(v1.manifest.version).toBe(1)
    expect(v1.body.files.map((f) => `${f.source}/${f.path}`)).toEqual([
      'lnd-scb/channel.backup',
      'conf/a.conf',
      'conf/sub/big.bin',
      'seed/hsm_secret',
    ])
    // LND replaces channel.backup by rename; the rest is unchanged
    await writeFile(`${s.scb}.tmp`, randomBytes(6100))
    await rename(`${s.scb}.tmp`, s.scb)
    const v2 = await buildVersion({ ...base, previous: v1.manifest })
    verifySuccessor(v1.manifest, openManifest(v2.manifest.bytes))
    expect(v2.newChunks.length).toBe(1)
    expect(v2.reusedChunks).toBe(v1.newChunks.length - 1)

    const out = join(s.root, 'restored')
    const files = await restoreVersion({
      manifest: openManifest(v2.manifest.bytes),
      dataKeys: s.keys,
      chunks: s.store,
      outDir: out,
    })
    expect(files.length).toBe(4)
    await sameTree(join(out, 'lnd-scb', 'channel.backup'), s.scb)
    await sameTree(join(out, 'conf', 'sub', 'big.bin'), join(s.node, 'conf', 'sub', 'big.bin'))
    await sameTree(join(out, 'seed', 'hsm_secret'), join(s.node, 'hsm_secret'))
    const seed = files.find((f) => f.source === 'seed')!
    expect(seed.mode).toBe(0o400)
    expect((await stat(join(out, 'seed', 'hsm_secret'))).mode & 0o777).toBe(0o600)
    expect((await stat(out)).mode & 0o777).toBe(0o700)
  })

  it('SQLite sources chunk at 64 KiB and restore to a database that passes integrity_check', async () => {
    const s = await setup()
    const dbPath = join(s.root, 'lightningd.sqlite3')
    const db = new Database(dbPath)
    db.exec('CREATE TABLE payments (id INTEGER PRIMARY KEY, hash BLOB, amount INTEGER)')
    const insert = db.prepare('INSERT INTO payments (hash, amount) VALUES (?, ?)')
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(randomBytes(32), i)
    })()
    db.close()
    const store = new MemoryChunkStore()
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: [{ name: 'cln-db', kind: 'sqlite', path: dbPath }],
      store,
    })
    const size = (await stat(dbPath)).size
    expect(built.body.files[0]!.chunks.length).toBe(Math.ceil(size / 65536))
    const out = join(s.root, 'out')
    await restoreVersion({ manifest: built.manifest, dataKeys: s.keys, chunks: store, outDir: out })
    const restored = new Database(join(out, 'cln-db', 'lightningd.sqlite3'), { readonly: true })
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(restored.prepare('SELECT count(*) AS n FROM payments').get()).toEqual({ n: 5000 })
    restored.close()
  })

  it('a corrupted stored chunk fails the restore with a named error and leaves no partial file', async () => {
    const s = await setup()
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: s.sources,
      store: s.store,
    })
    const big = built.body.files.find((f) => f.path === 'sub/big.bin')!
    const victim = join(s.store.dir, toHex(big.chunks[1]!).slice(0, 2), toHex(big.chunks[1]!))
    const bytes = await readFile(victim)
    bytes[100]! ^= 0xff
    await writeFile(victim, bytes)
    const out = join(s.root, 'out')
    await expectCode(
      () => restoreVersion({ manifest: built.manifest, dataKeys: s.keys, chunks: s.store, outDir: out }),
      'CHUNK_INTEGRITY',
    )
    expect(await readdir(join(out, 'conf', 'sub'))).toEqual([])
  })

  it('a missing chunk fails with CHUNK_MISSING and leaves no partial file', async () => {
    const s = await setup()
    const store = new MemoryChunkStore()
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: s.sources,
      store,
    })
    store.chunks.delete(toHex(built.body.files[0]!.chunks[0]!))
    const out = join(s.root, 'out')
    await expectCode(
      () => restoreVersion({ manifest: built.manifest, dataKeys: s.keys, chunks: store, outDir: out }),
      'CHUNK_MISSING',
    )
    expect(await readdir(join(out, 'lnd-scb'))).toEqual([])
  })

  it('refuses a manifest whose body would write outside the restore directory', async () => {
    const s = await setup()
    const store = new MemoryChunkStore()
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: s.sources,
      store,
    })
    for (const path of ['../escape', '/etc/passwd', 'a/../../b', 'a//b']) {
      const evil = { ...built.body, files: [{ ...built.body.files[0]!, path }] }
      expect(() =>
        sealManifest(
          {
            vaultId: built.manifest.vaultId,
            epoch: 1,
            version: 1,
            parent: built.manifest.parent,
            createdAt: 1,
            chunks: built.manifest.chunks,
            body: evil,
          },
          s.keys.manifestKey,
          s.sk,
        ),
      ).toThrow(/unsafe path/)
    }
  })

  it('refuses bad sources with INVALID_SOURCE and stores nothing', async () => {
    const s = await setup()
    const store = new MemoryChunkStore()
    const empty = join(s.root, 'empty.backup')
    await writeFile(empty, '')
    const base = { vaultSecretKey: s.sk, dataKeys: s.keys, epoch: 1, store }
    await expectCode(
      () => buildVersion({ ...base, sources: [{ name: 'x', kind: 'lnd-scb', path: empty }] }),
      'INVALID_SOURCE',
    )
    await expectCode(
      () => buildVersion({ ...base, sources: [{ name: 'x', kind: 'file', path: join(s.root, 'nope') }] }),
      'INVALID_SOURCE',
    )
    await expectCode(
      () => buildVersion({ ...base, sources: [{ name: 'x', kind: 'dir', path: s.scb }] }),
      'INVALID_SOURCE',
    )
    await expectCode(
      () => buildVersion({ ...base, sources: [s.sources[0]!, { ...s.sources[1]!, name: 'lnd-scb' }] }),
      'INVALID_SOURCE',
    )
    expect(store.puts).toBe(0)
  })

  it('skips symlinks inside directory sources', async () => {
    const s = await setup()
    await symlink('/etc/hostname', join(s.node, 'conf', 'link'))
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: [s.sources[1]!],
      store: new MemoryChunkStore(),
    })
    expect(built.body.files.map((f) => f.path)).toEqual(['a.conf', 'sub/big.bin'])
  })

  it('restoring with the wrong data key fails before anything is written', async () => {
    const s = await setup()
    const store = new MemoryChunkStore()
    const built = await buildVersion({
      vaultSecretKey: s.sk,
      dataKeys: s.keys,
      epoch: 1,
      sources: s.sources,
      store,
    })
    const out = join(s.root, 'out')
    await expectCode(
      () =>
        restoreVersion({
          manifest: built.manifest,
          dataKeys: deriveDataKeys(new Uint8Array(32)),
          chunks: store,
          outDir: out,
        }),
      'DECRYPTION_FAILED',
    )
    await expect(stat(out)).rejects.toThrow()
  })
})
