/**
 * The operator's vault against three guardians, step by step: init, add guardians, back up a changing
 * SQLite database, survive a guardian down, keep an unacknowledged version in the outbox, remove a
 * guardian, fence a stale copy. Guardians run in this process (real libp2p, real SQLite); every step goes
 * through the real CLI, in-process.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, readdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { Vault } from '../../src/coordinator/vault.js'
import type { DataKeys } from '../../src/crypto/kdf.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { DirChunkStore } from '../../src/replica/chunk-store.js'
import { type Manifest, openManifest } from '../../src/replica/manifest.js'
import { restoreVersion } from '../../src/replica/restore.js'
import { cli, kithJson, statusJson } from '../helpers/cli.js'
import { LocalGuardian as G, type LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
let gs: LocalGuardian[]
let work: string
let dir: string
const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir]
let scb: string
let keys: DataKeys
let writer: ChildProcess | undefined
afterAll(() => writer?.kill('SIGKILL'))

const replace = async (size: number) => {
  await writeFile(`${scb}.tmp`, randomBytes(size))
  await rename(`${scb}.tmp`, scb)
}

/** The vault's data keys and newest manifest, read as the operator's own process would. */
async function newest(): Promise<{ keys: DataKeys; manifest: Manifest }> {
  const opened = await Vault.open(dir)
  try {
    return { keys: opened.dataKeys(), manifest: openManifest(opened.db.newestVersion()!.manifest) }
  } finally {
    await opened.close()
  }
}

describe('kith vault against three guardians', () => {
  beforeAll(async () => {
    gs = await Promise.all([1, 2, 3].map(() => G.create()))
    fleet.guardians.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    work = await fileTempDir('kith-node-')
    dir = join(work, 'vault')
    scb = join(work, 'channel.backup')
  })

  it('init creates the vault key 0600 in a 0700 directory', async () => {
    const created = await kithJson(...v('init', '-k', '2', '-w', '2', '--name', 'alice'))
    expect(created['vault']).toMatch(/^kvault1/)
    expect((await stat(join(dir, 'vault.key'))).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('one invite is not enough for 2-of-n; the second activates the vault, the third joins the split', async () => {
    const first = await kithJson(...v('add-guardian', gs[0]!.invite()))
    expect(first['activated']).toBe(false)
    const rest = await kithJson(...v('add-guardian', gs[1]!.invite(), gs[2]!.invite()))
    expect(rest['activated']).toBe(true)
    expect((rest['results'] as { ok: boolean }[]).every((r) => r.ok)).toBe(true)
  })

  it('backs up a SQLite database that a writer keeps changing, committed at all three', async () => {
    await writeFile(scb, randomBytes(5000))
    const dbPath = join(work, 'lightningd.sqlite3')
    const seed = new Database(dbPath)
    seed.pragma('journal_mode = WAL')
    seed.exec('CREATE TABLE htlcs (id INTEGER PRIMARY KEY, payload BLOB)')
    seed.close()
    await kithJson(...v('add-source', 'lnd-scb', scb))
    await kithJson(...v('add-source', 'sqlite', dbPath, '--name', 'cln-db'))
    // a writer in another process keeps changing the database while it is snapshotted
    writer = spawn(process.execPath, [
      '-e',
      `const{DatabaseSync}=require('node:sqlite');const d=new DatabaseSync(${JSON.stringify(dbPath)});d.exec('PRAGMA journal_mode = WAL');const s=d.prepare('INSERT INTO htlcs (payload) VALUES (?)');setInterval(()=>{for(let i=0;i<50;i++)s.run(require('crypto').randomBytes(200))},5)`,
    ])
    // once it writes, the snapshot below runs beside it
    const rows = () => {
      const d = new Database(dbPath, { readonly: true })
      try {
        return (d.prepare('SELECT count(*) AS n FROM htlcs').get() as { n: number }).n
      } finally {
        d.close()
      }
    }
    await waitUntil(() => rows() > 0)
    const b1 = await kithJson(...v('backup'))
    writer.kill('SIGKILL')
    expect(b1['pushed']).toMatchObject({ version: 1, committed: true, receipts: 3 })
    expect((await statusJson(...v('status')))['verdict']).toBe('safe')
  })

  it('the SQLite copy inside version 1 is a consistent database', async () => {
    const n = await newest()
    keys = n.keys
    const out = join(work, 'restored')
    await restoreVersion({
      manifest: n.manifest,
      dataKeys: keys,
      chunks: new DirChunkStore(vaultPaths(dir).chunks),
      outDir: out,
    })
    const restored = new Database(join(out, 'cln-db', 'lightningd.sqlite3'), { readonly: true })
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok')
    restored.close()
  })

  it('one guardian down: versions still commit (W = 2) and status says degraded', async () => {
    await gs[2]!.stop()
    await replace(5100)
    expect((await kithJson(...v('backup')))['pushed']).toMatchObject({
      version: 2,
      committed: true,
      receipts: 2,
    })
    const degraded = await statusJson(...v('status'))
    expect(degraded['verdict']).toBe('degraded')
    expect((degraded['reasons'] as string[]).join(' ')).toMatch(/unreachable/)
  })

  it('two down: the backup fails with a clear error and the version waits in the outbox', async () => {
    await gs[1]!.stop()
    await replace(5200)
    const failed = await cli(...v('backup', '--timeout', '20s'))
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/version 3 reached 1 of the 2 guardians.*\[QUORUM_NOT_REACHED\]/)
    expect((await statusJson(...v('status', '--offline')))['outbox']).toEqual([3])
  })

  it('they come back: the next backup delivers the outbox first and reuses no version number', async () => {
    await gs[1]!.start()
    await gs[2]!.start()
    const drained = await kithJson(...v('backup'))
    expect(drained['drained']).toEqual([expect.objectContaining({ version: 3, committed: true })])
    expect(drained['pushed']).toBeUndefined()
    const status = await statusJson(...v('status'))
    expect(status).toMatchObject({ committedVersion: 3, outbox: [] })
  })

  let staleDir: string
  it('removing a guardian: a new epoch and data key, the state re-encrypted, the removed one told (it deletes after its grace period)', async () => {
    // an old copy of the vault directory, as a stale restore of this node would be
    staleDir = join(work, 'stale-vault')
    await cp(dir, staleDir, { recursive: true })
    const epochBefore = (await statusJson(...v('status', '--offline')))['epoch'] as number
    const r = await kithJson(...v('remove-guardian', gs[2]!.peerId))
    expect(r['removedTold']).toBe(true)
    expect((r['backup'] as { pushed: unknown }).pushed).toMatchObject({
      version: 4,
      committed: true,
      receipts: 2,
    })
    expect(gs[2]!.guardian.db.vaults.all()[0]!.removal).toMatchObject({ epoch: epochBefore + 1, kept: false })
    expect(await statusJson(...v('status'))).toMatchObject({
      epoch: epochBefore + 1,
      n: 2,
      committedVersion: 4,
    })
  })

  it('version 4 is under a new data key and restores with it', async () => {
    const n = await newest()
    expect(Buffer.from(n.keys.chunkKey).equals(Buffer.from(keys.chunkKey))).toBe(false)
    const files = await restoreVersion({
      manifest: n.manifest,
      dataKeys: n.keys,
      chunks: new DirChunkStore(vaultPaths(dir).chunks),
      outDir: join(work, 'v4'),
    })
    expect(files.map((f) => f.source).sort()).toEqual(['cln-db', 'lnd-scb'])
  })

  it('the stale copy is fenced: guardians refuse its old epoch, and its status says so loudly', async () => {
    await replace(5300)
    const stale = await cli('vault', 'backup', '--data-dir', staleDir, '--timeout', '20s')
    expect(stale.code).toBe(1)
    // the guardians show it the vault's own newer roster: a stale copy is stopped like a replaced node
    expect(stale.stderr).toContain('[FENCED]')
    const staleStatus = await statusJson('vault', 'status', '--data-dir', staleDir, '--offline')
    expect(staleStatus['verdict']).toBe('fenced')
    expect((staleStatus['reasons'] as string[])[0]).toMatch(/^FENCED/)
    expect((staleStatus['incidents'] as unknown[])[0]).toMatchObject({ kind: 'fencing' })
    // and it signs nothing more: no new epoch, no roster delivery
    const add = await cli('vault', 'remove-guardian', gs[0]!.peerId, '--data-dir', staleDir)
    expect(add.code).toBe(1)
    expect(add.stderr).toContain('[FENCED]')
  })

  it('locally, only the chunks of the newest version are kept', async () => {
    const { manifest } = await newest()
    const local = (await readdir(vaultPaths(dir).chunks, { recursive: true, withFileTypes: true })).filter(
      (e) => e.isFile(),
    )
    expect(local.length).toBe(manifest.chunks.length)
  })

  it('a removal that would leave fewer than max(k, W) guardians is refused', async () => {
    const rem = await cli(...v('remove-guardian', gs[0]!.peerId))
    expect(rem.code).toBe(1)
    expect(rem.stderr).toContain('[NOT_ENOUGH_GUARDIANS]')
  })
})
