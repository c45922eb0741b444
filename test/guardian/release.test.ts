import { afterAll, describe, expect, it } from 'vitest'
import { openRelease } from '../../src/ceremony/release.js'
import { verificationCode } from '../../src/ceremony/request.js'
import { signVeto } from '../../src/ceremony/veto.js'
import { generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { approveRequest, denyRequest } from '../../src/guardian/approvals.js'
import { Guardian } from '../../src/guardian/service.js'
import { requestRecovery } from '../../src/p2p/client.js'
import type { KithNode } from '../../src/p2p/node.js'
import { peerIdBytes } from '../../src/p2p/peers.js'
import { openShareEnvelope } from '../../src/shares/envelope.js'
import { expectCode, tempDir } from '../helpers/tmp.js'
import { coordinatorNode, enrollAll, testVault } from '../helpers/vault.js'

const stop: (() => unknown)[] = []
afterAll(async () => {
  for (const s of stop) await s()
})

describe('share release at a guardian (in-process, real libp2p and SQLite, injected clock)', () => {
  it('releases only after a durable approval and the delay, exactly once; supersedes, expires, vetoes', async () => {
    let clock = Date.now()
    const gs: Guardian[] = []
    for (let i = 0; i < 2; i++) {
      const x = new Guardian({ dataDir: await tempDir(), now: () => clock })
      await x.start()
      stop.push(() => x.stop())
      gs.push(x)
    }
    const g = gs[0]!
    const node: KithNode = await coordinatorNode()
    stop.push(() => node.stop())
    const v = await testVault(
      node,
      gs.map((x) => ({ peerId: peerIdBytes(x.node.peerId), addrs: x.addrs })),
    )
    await enrollAll(node, gs, v)
    const vaultId = v.roster.vaultId
    const ref = { peerId: peerIdBytes(g.node.peerId), addrs: g.addrs }
    g.db.requests.setPolicy(vaultId, { releaseDelay: 3_600_000, requestTtl: 86_400_000 }, clock)

    const recoverer = await coordinatorNode()
    stop.push(() => recoverer.stop())
    const first = generateEciesKeyPair()
    const ask = (key = first.publicKey) => requestRecovery(recoverer, ref, vaultId, key)
    const r1 = await ask()
    expect(r1.state).toBe('pending')
    expect(r1.sealedShare).toBeUndefined()
    const id = Buffer.from(r1.requestId).toString('hex')

    // the code is the one the recoverer computes for this guardian; another code approves nothing
    const code = verificationCode(vaultId, first.publicKey, ref.peerId)
    await expectCode(
      () => approveRequest(g.db, id, '000-000' === code ? '111-111' : '000-000', { now: clock }),
      'WRONG_CODE',
    )
    expect((await ask()).state).toBe('pending')
    approveRequest(g.db, id, code, { now: clock })

    // approved, but the delay holds the share back
    const waiting = await ask()
    expect(waiting).toMatchObject({ state: 'approved', releaseAt: clock + 3_600_000 })
    expect(waiting.sealedShare).toBeUndefined()
    clock += 3_600_000
    const released = await ask()
    expect(released.state).toBe('released')
    const envelope = openShareEnvelope(openRelease(first.secretKey, r1.requestId, released.sealedShare!))
    expect(Buffer.from(envelope.bytes).equals(Buffer.from(v.shares[0]!.bytes))).toBe(true)
    // never twice
    const again = await ask()
    expect(again.state).toBe('released')
    expect(again.sealedShare).toBeUndefined()
    await expectCode(() => denyRequest(g.db, id, clock), 'REQUEST_CLOSED')

    // one open request per vault: a newer one supersedes a pending one
    const a = generateEciesKeyPair()
    const b = generateEciesKeyPair()
    await ask(a.publicKey)
    const rb = await ask(b.publicKey)
    expect((await ask(a.publicKey)).state).toBe('superseded')
    const idB = Buffer.from(rb.requestId).toString('hex')

    // a veto signed by the vault key stops it; only a deliberate override approves it then
    const veto = signVeto({ vaultId, requestId: rb.requestId, createdAt: clock }, v.vaultSecretKey)
    g.db.requests.veto(vaultId, rb.requestId, veto.bytes, clock)
    expect((await ask(b.publicKey)).state).toBe('vetoed')
    const codeB = verificationCode(vaultId, b.publicKey, ref.peerId)
    await expectCode(() => approveRequest(g.db, idB, codeB, { now: clock }), 'REQUEST_CLOSED')
    approveRequest(g.db, idB, codeB, { now: clock, overrideVeto: true })
    expect((await ask(b.publicKey)).state).toBe('approved')

    // a request not approved within its lifetime expires
    const c = generateEciesKeyPair()
    denyRequest(g.db, idB, clock)
    await ask(c.publicKey)
    clock += 86_400_001
    expect((await ask(c.publicKey)).state).toBe('expired')
    // the audit log has every step
    const kinds = g.db.audit.kinds()
    expect(kinds).toEqual(
      expect.arrayContaining([
        'recovery-requested',
        'recovery-wrong-code',
        'recovery-approved',
        'share-released',
        'recovery-superseded',
        'recovery-vetoed',
        'recovery-denied',
        'recovery-expired',
      ]),
    )
  })
})
