/**
 * Share release at one guardian, step by step (in-process, real libp2p and SQLite, an injected clock):
 * only after a durable approval with the right code and the release delay, exactly once; a newer request
 * supersedes a pending one; a veto stops release until overridden; an unanswered request expires; the
 * audit log keeps every step.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRelease } from '../../src/ceremony/release.js'
import { openCode } from '../../src/ceremony/request.js'
import { signVeto } from '../../src/ceremony/veto.js'
import { toHex } from '../../src/crypto/bytes.js'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { approveRequest, denyRequest } from '../../src/guardian/approvals.js'
import { Guardian } from '../../src/guardian/service.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { requestRecovery } from '../../src/p2p/client.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { openShareEnvelope } from '../../src/shares/share-envelope.js'
import { cli } from '../helpers/cli.js'
import { expectCode, fileTempDir, remoteCode } from '../helpers/tmp.js'
import { coordinatorNode, enrollAll, testVault } from '../helpers/vault.js'

const stop: (() => unknown)[] = []
afterAll(async () => {
  for (const s of stop) await s()
})

describe('share release at a guardian', () => {
  let clock = Date.now()
  let g: Guardian
  let v: Awaited<ReturnType<typeof testVault>>
  let vaultId: Uint8Array
  let ref: { peerId: Uint8Array; addrs: string[] }
  let recoverer: KithNode
  const first = generateEciesKeyPair()
  const a = generateEciesKeyPair()
  const b = generateEciesKeyPair()
  /** Each key's code, as only its recoverer can read it: opened from the guardian's sealed reply. */
  const codes = new Map<string, string>()
  const asked = async (key: Uint8Array, reply: Awaited<ReturnType<typeof requestRecovery>>) => {
    const pair = [first, a, b].find((p) => toHex(p.publicKey) === toHex(key))
    const code = pair && reply.sealedCode && openCode(pair.secretKey, reply.requestId, reply.sealedCode)
    if (code) codes.set(toHex(key), code)
    return reply
  }
  const ask = async (key = first.publicKey) => asked(key, await requestRecovery(recoverer, ref, vaultId, key))
  const codeOf = (key: Uint8Array) => codes.get(toHex(key))!
  let id: string
  let requestId: Uint8Array

  beforeAll(async () => {
    const gs: Guardian[] = []
    for (let i = 0; i < 2; i++) {
      const x = new Guardian({ dataDir: await fileTempDir(), now: () => clock })
      await x.start()
      stop.push(() => x.stop())
      gs.push(x)
    }
    g = gs[0]!
    const node = await coordinatorNode()
    stop.push(() => node.stop())
    v = await testVault(
      node,
      gs.map((x) => ({ peerId: peerIdBytes(x.node.peerId), addrs: x.addrs })),
    )
    await enrollAll(node, gs, v)
    vaultId = v.roster.vaultId
    ref = { peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }
    g.db.requests.setPolicy(vaultId, { releaseDelay: 3_600_000, requestTtl: 86_400_000 }, clock)
    recoverer = await coordinatorNode()
    stop.push(() => recoverer.stop())
  })

  it('a new request waits for its human, with nothing released', async () => {
    const r1 = await ask()
    expect(r1.state).toBe('pending')
    expect(r1.sealedShare).toBeUndefined()
    expect(r1.requestId.length).toBe(16)
    // the code travels sealed to the recovery key: a stranger who knows every public input cannot read it
    const stranger = generateEciesKeyPair()
    expect(openCode(stranger.secretKey, r1.requestId, r1.sealedCode!)).toBeUndefined()
    expect(codeOf(first.publicKey)).toMatch(/^\d{3}-\d{3}$/)
    requestId = r1.requestId
    id = toHex(r1.requestId)
  })

  it('another code than the one the recoverer shows for this guardian approves nothing', async () => {
    const code = codeOf(first.publicKey)
    await expectCode(
      () => approveRequest(g.db, id, code === '000-000' ? '111-111' : '000-000', { now: clock }),
      'WRONG_CODE',
    )
    expect((await ask()).state).toBe('pending')
  })

  it('approved with the right code, the release delay still holds the share back', async () => {
    approveRequest(g.db, id, codeOf(first.publicKey), { now: clock })
    const waiting = await ask()
    expect(waiting).toMatchObject({ state: 'approved', releaseAt: clock + 3_600_000 })
    expect(waiting.sealedShare).toBeUndefined()
  })

  let box: Uint8Array
  it('after the delay the share goes out sealed to the recovery key, also if another peer polled with that key first', async () => {
    clock += 3_600_000
    // a peer that saw the recovery key (a fellow guardian) polls with it: it gets a box it cannot open,
    // and the recoverer still gets its share
    const meddler = await coordinatorNode()
    const stolen = await requestRecovery(meddler, ref, vaultId, first.publicKey)
    await meddler.stop() // strangers' connections per address are capped: this one's slot is freed
    expect(stolen.state).toBe('released')
    const released = await ask()
    expect(released.state).toBe('released')
    box = released.sealedShare!
    expect(Buffer.from(box).equals(Buffer.from(stolen.sealedShare!))).toBe(true)
    const envelope = openShareEnvelope(openRelease(first.secretKey, requestId, box))
    expect(Buffer.from(envelope.bytes).equals(Buffer.from(v.shares[0]!.bytes))).toBe(true)
  })

  it('released once: every later poll gets the same box, and a released request can no longer be decided', async () => {
    const again = await ask()
    expect(again.state).toBe('released')
    expect(Buffer.from(again.sealedShare!).equals(Buffer.from(box))).toBe(true)
    expect(g.db.audit.kinds().filter((k) => k === 'share-released')).toHaveLength(1)
    await expectCode(() => denyRequest(g.db, id, clock), 'REQUEST_CLOSED')
  })

  let other: KithNode
  const askAs = async (node: KithNode, key: Uint8Array) =>
    asked(key, await requestRecovery(node, ref, vaultId, key))
  let idB: string
  it('a new request never closes another: two requesters each keep their own pending request', async () => {
    other = await coordinatorNode()
    stop.push(() => other.stop())
    await ask(a.publicKey)
    const rb = await askAs(other, b.publicKey)
    expect((await ask(a.publicKey)).state).toBe('pending')
    expect(rb.state).toBe('pending')
    idB = toHex(rb.requestId)
  })

  it('one requester keeps one open request: a second key from it is refused and recorded nowhere', async () => {
    const c = generateEciesKeyPair()
    expect(await remoteCode(() => ask(c.publicKey))).toBe('TOO_MANY_REQUESTS')
    expect(g.db.requests.list({ vaultId }).length).toBe(3)
  })

  it('a veto signed by the vault key stops a request; only a deliberate override approves it then', async () => {
    const veto = signVeto(
      { vaultId, requestId: new Uint8Array(Buffer.from(idB, 'hex')), createdAt: clock },
      v.vaultSecretKey,
    )
    g.db.requests.veto(vaultId, veto.requestId, veto.bytes, clock)
    expect((await askAs(other, b.publicKey)).state).toBe('vetoed')
    await expectCode(() => approveRequest(g.db, idB, codeOf(b.publicKey), { now: clock }), 'REQUEST_CLOSED')
    approveRequest(g.db, idB, codeOf(b.publicKey), { now: clock, overrideVeto: true })
    expect((await askAs(other, b.publicKey)).state).toBe('approved')
  })

  it('a request not approved within its lifetime expires', async () => {
    denyRequest(g.db, idB, clock)
    clock += 86_400_001
    expect((await ask(a.publicKey)).state).toBe('expired')
  })

  it('the code alone finds its request; one that matches nothing counts against every open one', async () => {
    const c = generateEciesKeyPair()
    const third = await coordinatorNode()
    stop.push(() => third.stop())
    const rc = await requestRecovery(third, ref, vaultId, c.publicKey)
    const code = openCode(c.secretKey, rc.requestId, rc.sealedCode!)!
    const wrong = code === '000-000' ? '111-111' : '000-000'
    await expectCode(() => approveRequest(g.db, undefined, wrong, { now: clock }), 'WRONG_CODE')
    expect(g.db.requests.get(vaultId, rc.requestId)!.wrongCodes).toBe(1)
    const approved = approveRequest(g.db, undefined, code, { now: clock })
    expect(toHex(approved.requestId)).toBe(toHex(rc.requestId))
    expect(approved.state).toBe('approved')
    // a decision only moves the state it read: approving it again is refused, nothing changes
    await expectCode(() => approveRequest(g.db, toHex(rc.requestId), code, { now: clock }), 'REQUEST_CLOSED')
    denyRequest(g.db, toHex(rc.requestId), clock)
  })

  it('five wrong codes lock a request for good; its recoverer hears "locked"', async () => {
    const d = generateEciesKeyPair()
    const fourth = recoverer // its earlier requests are closed; strangers' connections per address are capped
    const rd = await requestRecovery(fourth, ref, vaultId, d.publicKey)
    const code = openCode(d.secretKey, rd.requestId, rd.sealedCode!)!
    const wrong = code === '000-000' ? '111-111' : '000-000'
    for (let i = 1; i < 5; i++)
      await expectCode(() => approveRequest(g.db, toHex(rd.requestId), wrong, { now: clock }), 'WRONG_CODE')
    expect(g.db.requests.get(vaultId, rd.requestId)!.state).toBe('pending')
    const err = await expectCode(
      () => approveRequest(g.db, toHex(rd.requestId), wrong, { now: clock }),
      'WRONG_CODE',
    )
    expect(err.message).toMatch(/locked/)
    await expectCode(() => approveRequest(g.db, toHex(rd.requestId), code, { now: clock }), 'REQUEST_CLOSED')
    const heard = await requestRecovery(fourth, ref, vaultId, d.publicKey)
    expect(heard.state).toBe('locked')
    expect(heard.sealedCode).toBeUndefined()
  })

  it("the owner's veto works throughout the release delay: an approved request is stopped before release", async () => {
    const e = generateEciesKeyPair()
    const fifth = recoverer // its earlier requests are closed; strangers' connections per address are capped
    const re = await requestRecovery(fifth, ref, vaultId, e.publicKey)
    approveRequest(g.db, undefined, openCode(e.secretKey, re.requestId, re.sealedCode!), { now: clock })
    expect((await requestRecovery(fifth, ref, vaultId, e.publicKey)).state).toBe('approved')
    clock += 3_600_000 - 1
    const veto = signVeto({ vaultId, requestId: re.requestId, createdAt: clock }, v.vaultSecretKey)
    expect(g.db.requests.veto(vaultId, re.requestId, veto.bytes, clock)).toBe(true)
    clock += 1
    const after = await requestRecovery(fifth, ref, vaultId, e.publicKey)
    expect(after.state).toBe('vetoed')
    expect(after.sealedShare).toBeUndefined()
  })

  it('the audit log has every step', () => {
    expect(g.db.audit.kinds()).toEqual(
      expect.arrayContaining([
        'recovery-requested',
        'recovery-wrong-code',
        'recovery-approved',
        'share-released',
        'recovery-vetoed',
        'recovery-denied',
        'recovery-expired',
        'recovery-locked',
      ]),
    )
  })
})

describe('the release delay a friend starts with', () => {
  it('is 24 h unless the invite says otherwise, and a guardian shows it', async () => {
    const dir = await fileTempDir()
    await initGuardian(dir, { listen: ['/ip4/127.0.0.1/tcp/4999'] })
    const made = await cli('guardian', 'invite', '--data-dir', dir, '--json')
    expect(made.code).toBe(0)
    const db = new Database(join(dir, 'guardian.sqlite3'), { readonly: true })
    expect(db.prepare('SELECT release_delay FROM invites').all()).toEqual([{ release_delay: 86_400_000 }])
    db.close()
    const human = await cli('guardian', 'invite', '--data-dir', dir, '--release-delay', '6h')
    expect(human.stdout).toMatch(/your share goes out 6h later \(the owner can veto meanwhile\)/)
  })
})
