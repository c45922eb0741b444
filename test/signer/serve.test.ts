/**
 * The signer store end to end in this process: `kith lss serve`'s setup and server (src/signer/) on a
 * vault of three in-process guardians, W = 2, driven by the LSS client ported from VLS and the VSS client
 * ported from vss-client. Every answered
 * Put is a journal entry W guardians hold; a crash between replicating and applying loses nothing (the
 * writer's log is applied at the next start); W guardians down: the Put is held for the hold time, the
 * operator alerted, then refused, and nothing is applied; a recovery from the guardians alone (one of
 * them having missed the newest writes) gives every key at its last version. The spawned CLI, killed
 * with SIGKILL, is test/e2e/lss.test.ts.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as secp from '@noble/secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLiveWriter } from '../../src/cln/live.js'
import { Vault } from '../../src/coordinator/vault.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { silentLog } from '../../src/log.js'
import { lssPutStatement, SignerStore } from '../../src/lss/store.js'
import { SIGNER_JOURNAL, signerPaths } from '../../src/signer/files.js'
import { type SignerServer, serveSigner } from '../../src/signer/serve.js'
import { type SignerSetup, setUpSigner, storeToServe } from '../../src/signer/setup.js'
import { RecoverRun, statusJson } from '../helpers/cli.js'
import { endOpenRequests, type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { closeLssChannels, type LssClientError, LssPrivClient } from '../helpers/lss-client.js'
import { sigsAuthProvider, VssClient } from '../helpers/vss-client.js'

const fleet = localFleet()
const kv = (key: string, version: number, value = `${key}@${version}`) => ({
  key,
  version: BigInt(version),
  value: new TextEncoder().encode(value),
})
/** A store's LSS keys as text, to compare two stores. */
const dump = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return db
      .prepare('SELECT hex(client) c, hex(key) k, version v, hex(value) x FROM lss_kv ORDER BY c, k')
      .all()
  } finally {
    db.close()
  }
}

const dumpVss = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return db
      .prepare(
        'SELECT hex(user) u, hex(store) s, hex(key) k, version v, hex(value) x, sort FROM vss_kv ORDER BY u, s, k',
      )
      .all()
  } finally {
    db.close()
  }
}

describe("kith lss serve: a VLS signer's state with 3 guardians, W = 2", () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let vaultId: string
  let setup: SignerSetup
  let server: SignerServer
  let signer: LssPrivClient
  const signerKey = secp.utils.randomSecretKey()
  const lines: string[] = []
  let wallet: VssClient | undefined
  const walletKey = secp.utils.randomSecretKey()
  const start = async (holdMs = 10_000, extra: { alertCommand?: string } = {}) => {
    wallet?.close()
    server = await serveSigner({
      vaultDir: dir,
      setup,
      lss: { host: '127.0.0.1', port: 0 },
      vss: { host: '127.0.0.1', port: 0 },
      holdMs,
      ...extra,
      say: (_level, line) => lines.push(line),
      log: silentLog,
    })
    signer = await LssPrivClient.connect(`127.0.0.1:${server.lssPort}`, signerKey)
    wallet = new VssClient(`http://127.0.0.1:${server.vssPort}/vss`, sigsAuthProvider(walletKey))
  }
  const held = () =>
    gs.map(
      (g) => g.guardian.db.journals.get(g.guardian.db.vaults.all()[0]!.vaultId, SIGNER_JOURNAL)?.lastPosition,
    )

  beforeAll(async () => {
    let v: (...args: string[]) => string[]
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    vaultId = (await statusJson(...v('status', '--offline')))['vault'] as string
  })
  afterAll(async () => {
    closeLssChannels()
    wallet?.close()
    await server?.close()
  })

  it('the first start makes the store a source with its journal, commits its snapshot, and seals the server key', async () => {
    const vault = await Vault.open(dir)
    try {
      setup = await setUpSigner(vault, signerPaths(dir).defaultStore)
      expect(setup.snapshot).toEqual({ version: 1, position: 0 })
      expect(vault.db.sources().find((s) => s.name === SIGNER_JOURNAL)?.kind).toBe('signer-store')
    } finally {
      await vault.close()
    }
    const sealed = await readFile(signerPaths(dir).serverKey, 'utf8')
    expect(sealed).not.toContain(Buffer.from(setup.serverSecretKey).toString('hex'))
    for (const f of [signerPaths(dir).serverKey, signerPaths(dir).writer, setup.store])
      expect((await stat(f)).mode & 0o777).toBe(0o600)
    // a second start changes nothing: the same writer, the same key, no new snapshot; without --store it
    // serves the store the vault follows, and another store while that one is still there needs --replace-store
    const again = await Vault.open(dir)
    try {
      expect(storeToServe(again, undefined)).toBe(setup.store)
      await expect(setUpSigner(again, join(work, 'elsewhere.sqlite3'))).rejects.toThrow(
        /this vault's signer store is .*add --replace-store/,
      )
      const second = await setUpSigner(again, signerPaths(dir).defaultStore)
      expect(second.snapshot).toBeUndefined()
      expect(second.serverSecretKey).toEqual(setup.serverSecretKey)
      expect(second.secrets.certificate).toEqual(setup.secrets.certificate)
    } finally {
      await again.close()
    }
  })

  it('refuses to make a store of a file that is another database', async () => {
    const other = join(work, 'other.sqlite3')
    const db = new Database(other)
    db.exec('CREATE TABLE vars (name TEXT PRIMARY KEY, intval INTEGER)')
    db.close()
    const vault = await Vault.open(dir)
    try {
      await expect(setUpSigner(vault, other)).rejects.toThrow(/not a kith signer store/)
    } finally {
      await vault.close()
    }
  })

  it('every answered Put is an entry W guardians hold', async () => {
    await start()
    await signer.put([kv('_WRITER', 0), kv('channel/1', 0)])
    for (let n = 1; n <= 10; n++) await signer.put([kv('channel/1', n)])
    expect(held().filter((p) => p === 11).length).toBeGreaterThanOrEqual(2)
    expect(await signer.get('channel/')).toEqual([kv('channel/1', 10)])
  })

  it("an ldk-node wallet's VSS writes go the same way: each one held by W guardians before it is answered", async () => {
    const before = held()[0]!
    const put = (key: string, value: string) =>
      wallet!.putObject({
        storeId: '',
        transactionItems: [{ key, version: -1n, value: new TextEncoder().encode(value) }],
        deleteItems: [],
      })
    await put('bdk_wallet#descriptor', 'wpkh(...)')
    await put('monitors#0000', 'channel monitor 1')
    await put('monitors#0000', 'channel monitor 2')
    await wallet!.deleteObject({
      storeId: '',
      keyValue: { key: 'bdk_wallet#descriptor', version: -1n, value: new Uint8Array() },
    })
    expect(held().filter((p) => p === before + 4).length).toBeGreaterThanOrEqual(2)
    // the wallet's network graph, larger than one journal entry: staged in parts, then written whole
    const graph = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 31) % 256)
    await wallet!.putObject({
      storeId: '',
      transactionItems: [{ key: 'network_graph', version: -1n, value: graph }],
      deleteItems: [],
    })
    const got = await wallet!.getObject({ storeId: '', key: 'network_graph' })
    expect(Buffer.from(got.value).equals(graph)).toBe(true)
    expect(held().filter((p) => p! > before + 4 + 2).length).toBeGreaterThanOrEqual(2)
    expect(await wallet!.getObject({ storeId: '', key: 'monitors#0000' })).toEqual({
      key: 'monitors#0000',
      version: 1n,
      value: new TextEncoder().encode('channel monitor 2'),
    })
    // 12 MiB through the journal to W guardians: seconds idle, more on a machine busy with other work
  }, 180_000)

  it('a crash after a write reached W guardians, before it was applied or answered: the next write replaces it', async () => {
    await server.close()
    // the write goes to the guardians as the server sends it, and the server dies before applying it
    const store = SignerStore.open(setup.store)
    const batch = store.plan([
      lssPutStatement(signer.clientId, signer.prepared(kv('channel/1', 11, 'never answered'))),
    ])
    store.close()
    const live = await openLiveWriter({
      vaultDir: dir,
      journal: SIGNER_JOURNAL,
      secrets: setup.secrets,
      holdMs: 10_000,
      what: 'signer store',
      say: () => {},
      log: silentLog,
    })
    await live.plugin.dbWrite(batch.position, [...batch.statements])
    await live.close()
    expect(held().filter((p) => p === batch.position).length).toBeGreaterThanOrEqual(2)
    await start()
    expect(lines.at(-1)).toMatch(/write \d+ was sent to the guardians but never applied or answered here/)
    // the signer was never told: it sees the state before, and writes its next state at that version
    expect(await signer.get('channel/')).toEqual([kv('channel/1', 10)])
    await signer.put([kv('channel/1', 11)])
    expect(await signer.get('channel/')).toEqual([kv('channel/1', 11)])
    expect(held().filter((p) => p === batch.position).length).toBeGreaterThanOrEqual(2)
    await signer.put([kv('channel/1', 12)])
  })

  it('a store that is not where the journal stands (an old copy put back) is refused at start', async () => {
    await server.close()
    const old = join(work, 'old-copy.sqlite3')
    const s = SignerStore.open(old)
    s.close()
    await expect(
      serveSigner({
        vaultDir: dir,
        setup: { ...setup, store: old },
        lss: { host: '127.0.0.1', port: 0 },
        holdMs: 1000,
        say: () => {},
        log: silentLog,
      }),
    ).rejects.toThrow(/SIGNER_STORE_MISMATCH|is not the store this vault follows/)
    await start()
  })

  it('W guardians down: the Put is held, the operator alerted, then refused; nothing applied', async () => {
    await server.close()
    const alerted = join(work, 'alerted.json')
    await start(1000, { alertCommand: `cat > '${alerted}'` })
    await Promise.all([gs[1]!.stop(), gs[2]!.stop()])
    const t0 = Date.now()
    const err = (await signer.put([kv('channel/1', 13)]).catch((e: unknown) => e)) as LssClientError
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(err.detail.status).toBe(14)
    expect(err.message).toMatch(/not stored: .*reached [01] of the 2 guardians/)
    expect(JSON.parse(await readFile(alerted, 'utf8'))).toMatchObject({ verdict: 'at-risk' })
    expect(await signer.get('channel/')).toEqual([kv('channel/1', 12)])
    // refused is refused: after a restart the write is not there either, and the same write goes through
    await server.close()
    await start()
    expect(await signer.get('channel/')).toEqual([kv('channel/1', 12)])
    await Promise.all([gs[1]!.start(), gs[2]!.start()])
    await signer.put([kv('channel/1', 13)])
  })

  it('a guardian that missed the newest writes cannot roll a key back: the recovery finds them at the others', async () => {
    await gs[2]!.stop()
    for (let n = 14; n <= 20; n++) await signer.put([kv('channel/1', n), kv(`htlc/${n}`, 0)])
    await gs[2]!.start()
    expect(held()[2]).toBeLessThan(held()[0]!)
    endOpenRequests(gs)
    const r = await RecoverRun.approvedBy(vaultId, gs, join(work, 'out'))
    const finished = await r.done
    if (finished.code !== 0) console.log(JSON.stringify(r.events.slice(-6)), finished.stderr)
    expect(finished.code).toBe(0)
    const done = await r.event('restore-done')
    const file = (done['files'] as { source: string; path: string }[]).find(
      (f) => f.source === SIGNER_JOURNAL,
    )!
    expect(await r.event('stream-replayed')).toMatchObject({ stream: SIGNER_JOURNAL, to: held()[0] })
    expect(dump(file.path)).toEqual(dump(setup.store))
    expect(dumpVss(file.path)).toEqual(dumpVss(setup.store))
    expect(dumpVss(file.path)).toHaveLength(2)
    const restored = SignerStore.open(file.path)
    try {
      expect(restored.lssGet(signer.clientId, 'channel/')).toEqual([signer.prepared(kv('channel/1', 20))])
    } finally {
      restored.close()
    }
  })
})
