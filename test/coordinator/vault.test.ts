import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, readdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { Vault, vaultPaths } from '../../src/coordinator/vault.js'
import { DirChunkStore } from '../../src/replica/chunk-store.js'
import { openManifest } from '../../src/replica/manifest.js'
import { restoreVersion } from '../../src/replica/restore.js'
import { GuardianProcess, kith, kithResult } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'

const started: GuardianProcess[] = []
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop('SIGKILL')))
})

const json = async (...args: string[]) => JSON.parse(await kith(...args, '--json'))

describe('kith vault against three guardian daemons', () => {
  it('init, add guardians, back up, survive a guardian down, keep an unacknowledged version in the outbox', async () => {
    const gs = await Promise.all([1, 2, 3].map(async () => GuardianProcess.init(await tempDir('kith-g-'))))
    started.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    const work = await tempDir('kith-node-')
    const dir = join(work, 'vault')
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir]

    const created = await json(...v('init', '-k', '2', '-w', '2', '--name', 'alice'))
    expect(created.vault).toMatch(/^kvault1/)
    expect((await stat(join(dir, 'vault.key'))).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)

    // one invite is not enough for a 2-of-n vault; the second activates it, the third re-splits
    const first = await json(...v('add-guardian', await gs[0]!.inviteText()))
    expect(first.activated).toBe(false)
    const rest = await json(...v('add-guardian', await gs[1]!.inviteText(), await gs[2]!.inviteText()))
    expect(rest.activated).toBe(true)
    expect(rest.results.every((r: { ok: boolean }) => r.ok)).toBe(true)

    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(5000))
    const dbPath = join(work, 'lightningd.sqlite3')
    const seed = new Database(dbPath)
    seed.pragma('journal_mode = WAL')
    seed.exec('CREATE TABLE htlcs (id INTEGER PRIMARY KEY, payload BLOB)')
    seed.close()
    await json(...v('add-source', 'lnd-scb', scb))
    await json(...v('add-source', 'sqlite', dbPath, '--name', 'cln-db'))

    // a writer keeps changing the database while it is snapshotted
    const writer: ChildProcess = spawn(process.execPath, [
      '-e',
      `const D=require(${JSON.stringify(require.resolve('better-sqlite3'))});const d=new D(${JSON.stringify(dbPath)});d.pragma('journal_mode = WAL');const s=d.prepare('INSERT INTO htlcs (payload) VALUES (?)');setInterval(()=>{for(let i=0;i<50;i++)s.run(require('crypto').randomBytes(200))},5)`,
    ])
    await new Promise((r) => setTimeout(r, 300))
    const b1 = await json(...v('backup'))
    writer.kill('SIGKILL')
    expect(b1.pushed).toMatchObject({ version: 1, committed: true, receipts: 3 })
    expect((await json(...v('status'))).verdict).toBe('safe')

    // the SQLite copy inside version 1 is a consistent database
    const opened = await Vault.open(dir)
    const keys = opened.dataKeys()
    const manifest = openManifest(opened.db.newestVersion()!.manifest)
    await opened.close()
    const out = join(work, 'restored')
    await restoreVersion({
      manifest,
      dataKeys: keys,
      chunks: new DirChunkStore(vaultPaths(dir).chunks),
      outDir: out,
    })
    const restored = new Database(join(out, 'cln-db', 'lightningd.sqlite3'), { readonly: true })
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok')
    restored.close()

    // one guardian down: versions still commit (W = 2) and status says degraded
    await gs[2]!.stop()
    await writeFile(`${scb}.tmp`, randomBytes(5100))
    await rename(`${scb}.tmp`, scb)
    expect((await json(...v('backup'))).pushed).toMatchObject({ version: 2, committed: true, receipts: 2 })
    const degraded = await json(...v('status'))
    expect(degraded.verdict).toBe('degraded')
    expect(degraded.reasons.join(' ')).toMatch(/unreachable/)

    // two down: the backup fails with a clear error and the version waits in the outbox
    await gs[1]!.stop()
    await writeFile(`${scb}.tmp`, randomBytes(5200))
    await rename(`${scb}.tmp`, scb)
    const failed = await kithResult(...v('backup', '--timeout', '20s'))
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/version 3 reached 1 of the 2 guardians.*\[QUORUM_NOT_REACHED\]/)
    expect((await json(...v('status', '--offline'))).outbox).toEqual([3])

    // they come back: the next backup delivers the outbox first, and reuses no version number
    await gs[1]!.start()
    await gs[2]!.start()
    const drained = await json(...v('backup'))
    expect(drained.drained).toEqual([expect.objectContaining({ version: 3, committed: true })])
    expect(drained.pushed).toBeUndefined()
    const final = await json(...v('status'))
    expect(final.committedVersion).toBe(3)
    expect(final.outbox).toEqual([])

    // removing a guardian: new epoch and data key among the rest, the current state re-encrypted,
    // and the removed guardian deletes the vault
    // an old copy of the vault directory, as a stale restore of this node would be
    const staleDir = join(work, 'stale-vault')
    await cp(dir, staleDir, { recursive: true })
    const removed = (await gs[2]!.status()).peerId
    const epochBefore = final.epoch as number
    const r = await json(...v('remove-guardian', removed))
    expect(r.removedTold).toBe(true)
    expect(r.backup.pushed).toMatchObject({ version: 4, committed: true, receipts: 2 })
    expect((await gs[2]!.status()).vaults).toEqual([])
    const after = await json(...v('status'))
    expect(after).toMatchObject({ epoch: epochBefore + 1, n: 2, committedVersion: 4 })
    const reopened = await Vault.open(dir)
    const newKeys = reopened.dataKeys()
    const v4 = openManifest(reopened.db.newestVersion()!.manifest)
    await reopened.close()
    expect(Buffer.from(newKeys.chunkKey).equals(Buffer.from(keys.chunkKey))).toBe(false)
    await restoreVersion({
      manifest: v4,
      dataKeys: newKeys,
      chunks: new DirChunkStore(vaultPaths(dir).chunks),
      outDir: join(work, 'v4'),
    })
    // the stale copy is fenced: the guardians refuse its old epoch, and its status says so loudly
    await writeFile(`${scb}.tmp`, randomBytes(5300))
    await rename(`${scb}.tmp`, scb)
    const stale = await kithResult('vault', 'backup', '--data-dir', staleDir, '--timeout', '20s')
    expect(stale.code).toBe(1)
    expect(stale.stderr).toContain('[QUORUM_NOT_REACHED]')
    const staleStatus = JSON.parse(
      await kith('vault', 'status', '--data-dir', staleDir, '--json', '--offline'),
    )
    expect(staleStatus.verdict).toBe('at-risk')
    expect(staleStatus.reasons[0]).toMatch(/^FENCED/)
    expect(staleStatus.incidents[0]).toMatchObject({ kind: 'fencing' })

    // locally, only the chunks of the newest version are kept
    const local = (await readdir(vaultPaths(dir).chunks, { recursive: true, withFileTypes: true })).filter(
      (e) => e.isFile(),
    )
    expect(local.length).toBe(v4.chunks.length)
    const rem = await kithResult(...v('remove-guardian', (await gs[0]!.status()).peerId))
    expect(rem.code).toBe(1)
    expect(rem.stderr).toContain('[NOT_ENOUGH_GUARDIANS]')
  }, 100_000)
})
