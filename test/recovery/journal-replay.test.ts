/**
 * The journal's replay at recovery, from the side of a guardian that was away during a rewind: lightningd
 * wrote transaction 9 to it alone, could not reach W, and wrote a different transaction 9 (the one it
 * committed) to the others. Asked first, it must not make the restore apply the transaction lightningd
 * never committed, nor, once the others hold a 10 on top of the committed 9, make the replay blame them
 * and stop. The target is an entry (walked back by hash to the snapshot's mark), not a number. Three
 * in-process guardians (W = 2), the real kith-cln plugin under the lightningd emulator for 6..8, the
 * node's own identity and writer key for the rewound 9s (as the plugin's writer would send them), the
 * recovery through the CLI in-process, real files.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readWriterSecrets } from '../../src/cln/config.js'
import { ed25519Signer } from '../../src/crypto/ed25519.js'
import { decodeText } from '../../src/crypto/text.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { type JournalEntry, makeEntry } from '../../src/journal/entry.js'
import { createKithNode, type KithNode } from '../../src/p2p/node.js'
import { loadOrCreatePeerKey } from '../../src/p2p/peer-key.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { RecoverRun, statusJson } from '../helpers/cli.js'
import { type CertifiedWriter, openJournal } from '../helpers/journal.js'
import { createClnDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { endOpenRequests, type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()

describe('a guardian away during a rewind, asked first at recovery', () => {
  let gs: LocalGuardian[]
  let vault: string
  let node: KithNode
  let writer: CertifiedWriter
  let sign: ReturnType<typeof ed25519Signer>
  let journalKey: Uint8Array
  let vaultId: Uint8Array
  let eight: Uint8Array

  /** An entry as the plugin's writer makes it: lightningd's writes at `position`, after `prev`. */
  const entry = (position: number, prev: Uint8Array, sql: string): JournalEntry =>
    makeEntry({
      vaultId,
      journal: 'cln-db',
      position,
      prev,
      plaintext: new TextEncoder().encode(
        JSON.stringify([sql, `UPDATE vars SET intval = ${position} WHERE name = 'data_version'`]),
      ),
      journalKey,
      sign,
    })
  const sendTo = async (g: LocalGuardian, e: JournalEntry) => {
    const j = await openJournal(
      node,
      { peerId: peerIdBytes(g.guardian.node.peerId), addrs: g.guardian.addrs },
      writer,
    )
    try {
      expect(await j.send(e)).toBe(e.position)
    } finally {
      await j.close()
    }
  }
  /** A recovery every guardian approves, the away one asked first: its outcome and the restored rows. */
  const recover = async () => {
    endOpenRequests(gs)
    const out = await tempDir()
    const run = await RecoverRun.approvedBy(vault, gs, out)
    const done = await run.done
    const rows = () => {
      const db = new Database(join(out, 'cln-db', 'lightningd.sqlite3'), { readonly: true })
      try {
        return (db.prepare('SELECT id FROM payments ORDER BY id').all() as { id: number }[]).map((r) => r.id)
      } finally {
        db.close()
      }
    }
    return { run, done, rows }
  }

  beforeAll(async () => {
    let dir: string
    let work: string
    let v: (...args: string[]) => string[]
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    const clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    vaultId = decodeText('vault', vault)
    await installPlugin(work, dir, clnDb)
    const ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    for (let n = 6; n <= 8; n++) expect(await ln.pay(n)).toBe('continue')
    await ln.stop()
    ln.close()
    // the node's own identity and writer key: what the plugin's writer sends with
    const secrets = await readWriterSecrets(dir)
    sign = ed25519Signer(secrets.writerSeed)
    journalKey = secrets.journalKey
    writer = { certificate: secrets.certificate } as CertifiedWriter
    node = await createKithNode({ privateKey: await loadOrCreatePeerKey(join(dir, 'peer.key')) })
    eight = gs[0]!.guardian.db.journals.get(vaultId, 'cln-db')!.lastHash!
  }, 120_000)

  afterAll(async () => {
    await node?.stop()
  })

  it('at the top: the transaction lightningd committed is applied, never the one it replaced', async () => {
    // lightningd's first try at 9 reached the first guardian only (under W): it was never committed
    await sendTo(gs[0]!, entry(9, eight, "INSERT INTO payments VALUES (900, 1, x'00', 1, 0)"))
    // its second try at 9 reached the other two, and lightningd committed it
    const nine = entry(9, eight, "INSERT INTO payments VALUES (901, 1, x'01', 1, 0)")
    for (const g of gs.slice(1)) await sendTo(g, nine)
    const { done, rows, run } = await recover()
    expect(done.code).toBe(0)
    expect(rows()).toContain(901)
    expect(rows()).not.toContain(900)
    expect(await run.event('stream-replayed')).toMatchObject({ from: 5, to: 9 })
    expect(run.events.filter((e) => e['event'] === 'bad-guardian')).toEqual([])
  })

  it('below the top: the chain from the proven head is replayed, and no honest guardian is blamed', async () => {
    const nine = gs[1]!.guardian.db.journals.get(vaultId, 'cln-db')!.lastHash!
    const ten = entry(10, nine, "INSERT INTO payments VALUES (1000, 1, x'02', 1, 0)")
    for (const g of gs.slice(1)) await sendTo(g, ten)
    const { done, rows, run } = await recover()
    expect(done.code).toBe(0)
    expect(rows()).toEqual(expect.arrayContaining([901, 1000]))
    expect(rows()).not.toContain(900)
    expect(await run.event('stream-replayed')).toMatchObject({ from: 5, to: 10 })
    expect(run.events.filter((e) => e['event'] === 'bad-guardian')).toEqual([])
  })
})
