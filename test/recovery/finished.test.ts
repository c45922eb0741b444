/**
 * A finished recovery closes its request at every friend (4 guardians, 2-of-4, W=3): the friend who
 * never approved is not left with an Approve box, one that was offline at the end hears it from the
 * resumed node's status, and the new node counts none of it as someone recovering its vault. From the
 * attacker's side: a stranger cannot close the owner's request, nor can a thief who holds only the vault
 * key; a thief whose recovery got through cannot hide it (the live owner's status says RECOVERED, and the
 * requests the owner vetoed stay vetoed). Guardians, the CLI and the recovery run in this process.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pointFromScalar } from 'tiny-secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signDone } from '../../src/ceremony/done.js'
import { recoveryRequestId } from '../../src/ceremony/request.js'
import { signVeto } from '../../src/ceremony/veto.js'
import { vaultPaths } from '../../src/coordinator/paths.js'
import { readKeyFile } from '../../src/coordinator/vault-key-file.js'
import { toHex } from '../../src/crypto/bytes.js'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { decodeText } from '../../src/crypto/text.js'
import { overviewPage } from '../../src/guardian/web/pages.js'
import { requestViews } from '../../src/guardian/web/view.js'
import { requestRecovery, sendDone, sendVeto } from '../../src/p2p/client.js'
import { isRemote } from '../../src/p2p/errors.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { cli, kithJson, RecoverRun, recoverArgs, statusJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'

const fleet = localFleet()
let gs: LocalGuardian[]
let work: string
let dir: string
let vault: string
let stranger: KithNode
const scb = randomBytes(3000)

const heldState = async (g: LocalGuardian, request: string) => {
  const held = await kithJson('guardian', 'requests', '--all', '--data-dir', g.dir)
  return (held['requests'] as { request: string; state: string }[]).find((x) => x.request === request)?.state
}
const ref = (g: LocalGuardian) => ({ peerId: peerIdBytes(g.guardian.node.peerId), addrs: [g.addr] })

describe('a finished recovery closes its request everywhere (4 guardians, 2-of-4, W=3)', () => {
  let v: (...args: string[]) => string[]
  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(4, 2, 3, fleet))
    await writeFile(join(work, 'channel.backup'), scb)
    await kithJson(...v('add-source', 'lnd-scb', join(work, 'channel.backup')))
    await kithJson(...v('backup'))
    vault = (await statusJson(...v('status', '--offline')))['vault'] as string
    // a /24 of its own: the owner's and the thief's requests from 127.0.0.1 leave its tokens alone
    stranger = await strangerNode('127.0.9.3')
  }, 120_000)
  afterAll(async () => {
    await stranger?.stop()
  })

  it('a stranger cannot close the owner’s request, nor a thief who holds only the vault key', async () => {
    const r = new RecoverRun(...recoverArgs(vault, [gs[0]!], join(work, 'never')))
    const { request } = await r.codeFor(gs[0]!.peerId)
    const vaultId = decodeText('vault', vault)
    const requestId = new Uint8Array(Buffer.from(request, 'hex'))
    const { vaultKey } = await readKeyFile(vaultPaths(dir).key, dir)
    const at = { vaultId, requestId, createdAt: Date.now() }
    // the stranger's own keys: the vault's signature does not verify
    const forged = signDone(at, {
      vaultSecretKey: generateEciesKeyPair().secretKey,
      recoverySecretKey: generateEciesKeyPair().secretKey,
    })
    // the thief's: the vault key, but not the one-time key the owner's request was made with
    const stolen = signDone(at, {
      vaultSecretKey: vaultKey,
      recoverySecretKey: generateEciesKeyPair().secretKey,
    })
    for (const done of [forged, stolen]) {
      const err = await sendDone(stranger, ref(gs[0]!), done, { signal: AbortSignal.timeout(10_000) }).catch(
        (e: unknown) => e,
      )
      expect(isRemote(err) && err.remoteCode).toBe('BAD_SIGNATURE')
    }
    expect(await heldState(gs[0]!, request)).toBe('pending')
    await kithJson('guardian', 'deny', request.slice(0, 8), '--data-dir', gs[0]!.dir)
    await r.done
    // one guardian that says it released a share (it lies, or its friend was deceived) is no recovery:
    // the owner hears of one share gone, never RECOVERED
    const lone = await requestRecovery(stranger, ref(gs[0]!), vaultId, generateEciesKeyPair().publicKey, {
      signal: AbortSignal.timeout(10_000),
    })
    const db = gs[0]!.guardian.db
    db.requests.decide(
      vaultId,
      lone.requestId,
      { approve: true, releaseAt: 0, from: ['pending'] },
      Date.now(),
    )
    db.requests.markReleased(vaultId, lone.requestId, new Uint8Array(8), Date.now())
    const status = await statusJson(...v('status'))
    expect(status['recovered']).toBeUndefined()
    expect(status['released']).toEqual([
      expect.objectContaining({ request: toHex(lone.requestId), guardians: ['friend 0'] }),
    ])
    expect((status['reasons'] as string[])[0]).toMatch(
      /^SHARE RELEASED: request [0-9a-f]{32} got a share from friend 0 \(1 of the 2 a recovery needs\)/,
    )
  })

  let stolen: string
  it('a recovery the owner did not make: the live owner is told RECOVERED, and requests it vetoed stay vetoed', async () => {
    // a thief takes what it gets: the vetoing friends answer nothing more
    const r = new RecoverRun(...recoverArgs(vault, gs, join(work, 'thief'), '--accept-stale'))
    ;({ request: stolen } = await r.codeFor(gs[3]!.peerId))
    await r.codeFor(gs[2]!.peerId)
    // the owner vetoed it at two friends in time; two others were talked into approving
    const veto = signVeto(
      {
        vaultId: decodeText('vault', vault),
        requestId: new Uint8Array(Buffer.from(stolen, 'hex')),
        createdAt: Date.now(),
      },
      (await readKeyFile(vaultPaths(dir).key, dir)).vaultKey,
    )
    for (const g of [gs[2]!, gs[3]!])
      await sendVeto(stranger, ref(g), veto.bytes, { signal: AbortSignal.timeout(10_000) })
    await r.approveAt(gs[0]!)
    await r.approveAt(gs[1]!)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    expect(r.events.find((e) => e['event'] === 'request-closed')).toMatchObject({ notTold: [] })
    expect(await heldState(gs[0]!, stolen)).toBe('finished')
    // their red card ("call the owner") stays: a recovery the owner said is not theirs got the vault
    for (const g of [gs[2]!, gs[3]!]) expect(await heldState(g, stolen)).toBe('vetoed')
    // the owner's node no longer sees an open request, but hears that the vault was recovered
    const status = await statusJson(...v('status'))
    expect(status['recoveryRequests']).toEqual([])
    expect(status['recovered']).toEqual([
      expect.objectContaining({
        request: stolen,
        guardians: expect.arrayContaining(['friend 0', 'friend 1']),
      }),
    ])
    expect((status['reasons'] as string[])[0]).toMatch(
      /^RECOVERED: request [0-9a-f]{32} rebuilt this vault's key/,
    )
    expect(status['verdict']).toBe('at-risk')
    // the friends who vetoed it are told at once: it got the vault elsewhere
    for (const g of [gs[2]!, gs[3]!])
      expect(
        g.lines.some((l) => l.startsWith('VETOED RECOVERY DONE') && l.includes('Call your friend now')),
      ).toBe(true)
  })

  let request: string
  let restored: string
  const resumed = () => join(work, 'resumed')
  it('the friends who did not approve see it done; one offline at the end keeps it open', async () => {
    const r = new RecoverRun(
      ...recoverArgs(vault, gs, join(work, 'out')),
      '--resume',
      '--old-node-stopped',
      '--data-dir',
      resumed(),
    )
    ;({ request } = await r.codeFor(gs[3]!.peerId))
    await r.codeFor(gs[2]!.peerId)
    // friend 3 got the request, then its computer went to sleep
    await gs[3]!.stop()
    await r.approveAt(gs[0]!)
    await r.approveAt(gs[1]!)
    const done = await r.done
    expect(done.code, done.stderr).toBe(0)
    restored = (r.events.find((e) => e['event'] === 'restore-done')!['files'] as { path: string }[])[0]!.path
    const closed = r.events.find((e) => e['event'] === 'request-closed')
    expect(closed).toEqual({
      event: 'request-closed',
      told: ['friend 0', 'friend 1', 'friend 2'],
      notTold: ['friend 3'],
    })
    // the two who approved, and the one who never did: closed, with nothing left to approve
    for (const g of gs.slice(0, 3)) expect(await heldState(g, request)).toBe('finished')
    const page = overviewPage({
      requests: requestViews(gs[2]!.guardian.db, Date.now()),
      vaults: [],
      reach: { words: [], addrs: [] },
      peerId: gs[2]!.peerId,
    })
    expect(page).toContain('is recovered')
    // friend 2 never approved: it says what it knows, not whose recovery it was
    expect(page).toContain('whoever asked has the node back')
    expect(page).not.toContain('>Approve<')
    expect(gs[2]!.lines.some((l) => l.includes(`is done (request ${request.slice(0, 8)} closed)`))).toBe(true)
    const approverPage = overviewPage({
      requests: requestViews(gs[0]!.guardian.db, Date.now()),
      vaults: [],
      reach: { words: [], addrs: [] },
      peerId: gs[0]!.peerId,
    })
    expect(approverPage).toContain('Your friend finished this recovery with your share')
    const listed = await cli('guardian', 'requests', '--all', '--data-dir', gs[1]!.dir)
    expect(listed.stdout).toContain(`${request}`)
    expect(listed.stdout).toMatch(
      new RegExp(`${request}.*done: your friend recovered their node with your share`),
    )
    const other = await cli('guardian', 'requests', '--all', '--data-dir', gs[2]!.dir)
    expect(other.stdout).toMatch(
      new RegExp(`${request}.*done: it recovered the node with other friends' approvals`),
    )
  })

  it('the new node counts none of it as an incident, tells the friend who missed it, and will not veto it', async () => {
    await gs[3]!.start()
    expect(await heldState(gs[3]!, request)).toBe('pending')
    const rv = (...args: string[]) => ['vault', ...args, '--data-dir', resumed()]
    // the next backup brings it the new coordinator's roster, as vault watch would
    await kithJson(...rv('backup'))
    const status = await statusJson(...rv('status'))
    expect(status['recoveryRequests']).toEqual([])
    expect((status['reasons'] as string[]).join('\n')).not.toMatch(/RECOVERY REQUEST/)
    expect(status['finishedRecovery']).toEqual([
      expect.objectContaining({ request, guardians: ['friend 3'] }),
    ])
    // status told it: now closed there too, and the next status has nothing to say
    expect(await heldState(gs[3]!, request)).toBe('finished')
    expect((await statusJson(...rv('status')))['finishedRecovery']).toBeUndefined()
    const veto = await cli(...rv('veto', request.slice(0, 8)))
    expect(veto.code).not.toBe(0)
    expect(veto.stderr).toContain('is your own recovery')
    expect(veto.stderr).toContain('[OWN_RECOVERY]')
    for (const g of gs) expect(await heldState(g, request)).toBe('finished')
    // a stranger's request that begins with the same digits is not mistaken for the owner's own
    const vaultId = decodeText('vault', vault)
    // libsecp256k1 for the search: about 65,000 keys for 4 matching hex digits
    let key: Uint8Array
    do key = pointFromScalar(randomBytes(32), true)!
    while (!toHex(recoveryRequestId(vaultId, key)).startsWith(request.slice(0, 4)))
    await requestRecovery(stranger, ref(gs[0]!), vaultId, key, {
      signal: AbortSignal.timeout(10_000),
    })
    const ambiguous = await cli(...rv('veto', request.slice(0, 4)))
    expect(ambiguous.code).not.toBe(0)
    expect(ambiguous.stderr).toMatch(
      /2 requests start with it; give more of its digits \[INVALID_REQUEST_ID\]/,
    )
    // an id no guardian holds is nobody's attempt: said so, with no alarm and no guardian's own advice
    const unknown = await cli(...rv('veto', 'ab'.repeat(16)))
    expect(unknown.code).not.toBe(0)
    expect(unknown.stdout).toContain('No guardian holds this request')
    expect(unknown.stdout).not.toContain('someone is trying to recover your vault')
    expect(unknown.stdout).not.toContain('kith guardian')
    // and the recovery itself: the files came back as they were
    expect((await readFile(restored)).equals(scb)).toBe(true)
  }, 120_000)
})
