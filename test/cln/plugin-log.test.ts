/**
 * The writer's log and the sends overlap (cln/plugin.ts `ClnPlugin.dbWrite`): the entry leaves for the
 * guardians while the log commits it, and lightningd hears `continue` only after both. A log write that
 * fails refuses the transaction even though the entry already left, and the next write at that position
 * has the same predecessor, so the guardians that took the first one replace it. The guardians' side of a
 * replacement is test/cln/plugin.test.ts ("a rewind").
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ClnPlugin } from '../../src/cln/plugin.js'
import { equalBytes } from '../../src/crypto/bytes.js'
import { ed25519PublicKey, ed25519Signer } from '../../src/crypto/ed25519.js'
import { openEntry } from '../../src/journal/entry.js'
import { LocalLog } from '../../src/journal/local-log.js'

describe("kith-cln: the writer's log beside the sends", () => {
  let dir: string
  let log: LocalLog
  const seed = randomBytes(32)
  const base = { position: 5, hash: new Uint8Array(32).fill(7) }
  /** What left for the guardians, in order, and whether the log had it then. */
  let sent: { position: number; bytes: Uint8Array; inLog: boolean }[]

  const plugin = (over: Partial<ConstructorParameters<typeof ClnPlugin>[0]> = {}) =>
    new ClnPlugin({
      vaultId: new Uint8Array(32).fill(1),
      journal: 'cln-db',
      journalKey: new Uint8Array(32).fill(2),
      sign: ed25519Signer(seed),
      log,
      quorum: () => 2,
      append: async (position, bytes) => {
        sent.push({ position, bytes, inLog: log.newest()?.position === position })
        // the guardians' round trip: longer than the event loop's turn the log's write waits for
        await new Promise((r) => setTimeout(r, 20))
        return { acks: 2, failures: [] }
      },
      committedMark: () => undefined,
      requestSnapshot: async () => undefined,
      requestPending: () => false,
      holdMs: 1000,
      say: () => undefined,
      alert: async () => [],
      fenced: () => undefined,
      proveFence: async () => undefined,
      ...over,
    })

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kith-plugin-log-'))
    log = LocalLog.open(join(dir, 'cln-db.sqlite3'))
    log.setBase(base)
    sent = []
  })
  afterEach(async () => {
    log.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('the entry leaves before the log has it, and lightningd hears continue only once the log has it', async () => {
    await plugin().dbWrite(6, ['UPDATE vars SET intval = 6'])
    expect(sent.map((s) => [s.position, s.inLog])).toEqual([[6, false]])
    const kept = log.newest()!
    expect(kept.position).toBe(6)
    expect(equalBytes(kept.hash, openEntry(sent[0]!.bytes, ed25519PublicKey(seed)).hash)).toBe(true)
  })

  /** The log's next write fails as a full disk would make it. */
  const failNextPut = () => {
    const put = log.put.bind(log)
    let fail = true
    log.put = (e) => {
      if (fail) {
        fail = false
        throw new Error('database or disk is full')
      }
      put(e)
    }
  }

  it('a log write that fails refuses the transaction; the same data_version again replaces what left', async () => {
    const p = plugin()
    failNextPut()
    await expect(p.dbWrite(6, ['UPDATE vars SET intval = 6'])).rejects.toThrow(/disk is full/)
    expect(log.tip()!.position).toBe(5) // nothing kept: lightningd did not commit
    await p.dbWrite(6, ['UPDATE vars SET intval = 6', 'INSERT INTO payments VALUES (1)'])
    const [first, again] = sent.map((s) => openEntry(s.bytes, ed25519PublicKey(seed)))
    expect([first!.position, again!.position]).toEqual([6, 6])
    // the same predecessor (the base): a guardian holding the first takes the second as its replacement
    expect(equalBytes(first!.prev, base.hash) && equalBytes(again!.prev, base.hash)).toBe(true)
    expect(equalBytes(first!.hash, again!.hash)).toBe(false)
    expect(equalBytes(log.newest()!.hash, again!.hash)).toBe(true)
  })

  it('a log write that fails stops the sends: no retry, and no alert for a transaction lightningd will not commit', async () => {
    const alerts: string[] = []
    let tries = 0
    const p = plugin({
      // no guardian answers: without the stop, the plugin would alert and try again until the hold time
      append: async () => {
        tries++
        await new Promise((r) => setTimeout(r, 20))
        return { acks: 0, failures: [] }
      },
      alert: async (why) => {
        alerts.push(why)
        return []
      },
    })
    failNextPut()
    await expect(p.dbWrite(6, ['UPDATE vars SET intval = 6'])).rejects.toThrow(/disk is full/)
    await new Promise((r) => setTimeout(r, 200))
    expect({ tries, alerts }).toEqual({ tries: 1, alerts: [] })
  })

  it('a failure in the first turn (the vault database locked) refuses the transaction, and the plugin lives', async () => {
    const p = plugin({
      quorum: () => {
        throw new Error('database is locked')
      },
    })
    await expect(p.dbWrite(6, ['UPDATE vars SET intval = 6'])).rejects.toThrow(/database is locked/)
    // the log's write had already happened: the next write at 6 is a rewind, which guardians replace
    expect(log.newest()?.position).toBe(6)
  })
})
