/**
 * Conformance of `lss.LightningStorage` (kith's LSS front over the signer core), driven over real gRPC on
 * 127.0.0.1 by a client ported from VLS's own (test/helpers/lss-client.ts), in the flows lss-cli and
 * lssd's tests use; and from an attacker's side with raw requests: a wrong token, a replayed request with
 * another value, another client's keys, a key that is not a public key. A batch is replicated before it
 * is applied and answered; when replication fails the signer gets UNAVAILABLE and nothing is applied.
 */
import { join } from 'node:path'
import * as secp from '@noble/secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/crypto/hash.js'
import { type LssKeyValue, lssHmac, PUT_CLIENT_NONCE } from '../../src/lss/auth.js'
import { SignerCore } from '../../src/lss/core.js'
import { type GrpcServer, serveGrpc } from '../../src/lss/grpc.js'
import { decodePutReply, encodeGetRequest, encodePutRequest, LSS_SERVICE } from '../../src/lss/messages.js'
import { LSS_VERSION, lssService } from '../../src/lss/service.js'
import { type PlannedBatch, SignerStore } from '../../src/lss/store.js'
import { grpcCall, grpcFrame, grpcUnframe } from '../helpers/grpc.js'
import { closeLssChannels, LssClientError, LssPrivClient, lssInfo, lssPing } from '../helpers/lss-client.js'
import { fileTempDir } from '../helpers/tmp.js'

const serverKey = secp.utils.randomSecretKey()
const serverId = secp.getPublicKey(serverKey, true)
let server: GrpcServer
let address: string
let store: SignerStore
const replicated: PlannedBatch[] = []
let replicate: (b: PlannedBatch) => Promise<void> = async (b) => void replicated.push(b)

const kv = (key: string, version: number, value: string | number[] = key): LssKeyValue => ({
  key,
  version: BigInt(version),
  value: typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value),
})

/** An attacker's (or a raw signer's) Put, framed by hand as tonic sends it. */
async function rawPut(
  clientKey: Uint8Array,
  kvs: LssKeyValue[],
  o: { hmac?: Uint8Array; token?: Uint8Array } = {},
) {
  const shared = sha256(secp.getSharedSecret(clientKey, serverId, true))
  const body = encodePutRequest({
    auth: { clientId: secp.getPublicKey(clientKey, true), token: o.token ?? sha256(shared) },
    kvs,
    hmac: o.hmac ?? lssHmac(shared, PUT_CLIENT_NONCE, kvs),
  })
  const r = await grpcCall(server.port, `/${LSS_SERVICE}/Put`, grpcFrame(body))
  return {
    status: r.status,
    message: r.message === undefined ? undefined : decodeURIComponent(r.message),
    reply: r.status === '0' ? decodePutReply(grpcUnframe(new Uint8Array(r.data))) : undefined,
  }
}

beforeAll(async () => {
  store = SignerStore.open(join(await fileTempDir('kith-lss-'), 'signer.sqlite3'))
  server = await serveGrpc(
    LSS_SERVICE,
    lssService({ serverSecretKey: serverKey, core: new SignerCore(store, (b) => replicate(b)) }),
    { host: '127.0.0.1', port: 0 },
  )
  address = `127.0.0.1:${server.port}`
})
afterAll(async () => {
  closeLssChannels()
  await server.close()
  store.close()
})

describe('lss.LightningStorage, as VLS clients use it', () => {
  it("Info gives lssd's version and the server's key; Ping echoes", async () => {
    expect(await lssInfo(address)).toEqual({ version: LSS_VERSION, serverId })
    expect(await lssPing(address, 'hello')).toBe('hello')
  })

  it("lss-cli's flow: put x1 and x2 at version 0; get x gives both, x1 one, y none, each HMAC checked", async () => {
    const c = await LssPrivClient.connect(address)
    await c.put([kv('x1', 0, [1, 2])])
    await c.put([kv('x2', 0, [3])])
    expect(await c.get('x')).toEqual([kv('x1', 0, [1, 2]), kv('x2', 0, [3])])
    expect(await c.get('x1')).toEqual([kv('x1', 0, [1, 2])])
    expect(await c.get('y')).toEqual([])
    await c.put([kv('x1', 1, [9]), kv('x2', 1, [])])
    expect(await c.get('x')).toEqual([kv('x1', 1, [9]), kv('x2', 1, [])])
  })

  it('a stale version is a conflict the client sees with the stored value (its HMAC checked); nothing of the batch is applied', async () => {
    const c = await LssPrivClient.connect(address)
    await c.put([kv('a', 0, 'first'), kv('b', 0, 'b')])
    const err = await c.put([kv('a', 0, 'again'), kv('b', 1, 'b2')]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LssClientError)
    expect((err as LssClientError).kind).toBe('PutConflict')
    expect((err as LssClientError).detail.conflicts).toEqual([kv('a', 0, 'first')])
    expect(await c.get('')).toEqual([kv('a', 0, 'first'), kv('b', 0, 'b')])
  })

  it("lssd's conflict case (tests/integration_test.rs): every conflict with what is stored, −1 and no value for a missing key", async () => {
    const key = secp.utils.randomSecretKey()
    expect(
      (await rawPut(key, [kv('x1a', 0, [10]), kv('x1b', 0, [11]), kv('x2b', 0, [20])])).reply!.success,
    ).toBe(true)
    const r = await rawPut(key, [kv('x1b', 0, [55]), kv('x1z', 22, [22])])
    expect(r.status).toBe('0')
    expect(r.reply).toEqual({
      success: false,
      hmac: new Uint8Array(),
      conflicts: [kv('x1b', 0, [11]), { key: 'x1z', version: -1n, value: new Uint8Array() }],
    })
  })

  it('answers a Put only after its batch is replicated, and the batch is its statements at the next position', async () => {
    const c = await LssPrivClient.connect(address)
    let release!: () => void
    const before = store.dataVersion()
    replicate = (b) =>
      new Promise<void>((resolve) => {
        replicated.push(b)
        release = resolve
      })
    let answered = false
    const done = c.put([kv('held', 0)]).then(() => {
      answered = true
    })
    try {
      await new Promise((r) => setTimeout(r, 200))
      expect(answered).toBe(false)
      expect(store.dataVersion()).toBe(before)
      expect(replicated.at(-1)!.position).toBe(before + 1)
      expect(replicated.at(-1)!.statements.at(-1)).toBe(
        `UPDATE vars SET intval = ${before + 1} WHERE name = 'data_version'`,
      )
      release()
      await done
      expect(answered).toBe(true)
      expect(store.dataVersion()).toBe(before + 1)
    } finally {
      replicate = async (b) => void replicated.push(b)
    }
  })

  it('when the batch cannot be replicated: UNAVAILABLE, nothing applied, and the same put goes through later', async () => {
    const c = await LssPrivClient.connect(address)
    replicate = async () => {
      throw new Error('2 of the 3 guardians it needs did not answer')
    }
    try {
      const err = (await c.put([kv('k', 0)]).catch((e: unknown) => e)) as LssClientError
      expect(err.detail.status).toBe(14)
      expect(err.message).toMatch(/not stored/)
    } finally {
      replicate = async (b) => void replicated.push(b)
    }
    expect(await c.get('k')).toEqual([])
    await c.put([kv('k', 0)])
    expect(await c.get('k')).toEqual([kv('k', 0)])
  })
})

describe('lss.LightningStorage, from an attacker', () => {
  it('a wrong token, a replayed request with another value, keys out of order, a key that is not a point: refused; nothing stored', async () => {
    const key = secp.utils.randomSecretKey()
    expect(await rawPut(key, [kv('t', 0)], { token: new Uint8Array(32) })).toMatchObject({
      status: '3',
      message: 'invalid auth token',
    })
    // a man in the middle keeps the client's HMAC and changes the value
    const shared = sha256(secp.getSharedSecret(key, serverId, true))
    const honest = [kv('t', 0, 'pay alice')]
    expect(
      await rawPut(key, [kv('t', 0, 'pay mallory')], { hmac: lssHmac(shared, PUT_CLIENT_NONCE, honest) }),
    ).toMatchObject({
      status: '3',
      message: 'invalid client HMAC',
    })
    expect((await rawPut(key, [kv('b', 0), kv('a', 0)])).status).toBe('3')
    const body = encodeGetRequest({
      auth: { clientId: new Uint8Array(33).fill(7), token: new Uint8Array(32) },
      keyPrefix: '',
      nonce: new Uint8Array(32),
    })
    const r = await grpcCall(server.port, `/${LSS_SERVICE}/Get`, grpcFrame(body))
    expect(r.status).toBe('16')
    const c = new LssPrivClient(address, key, serverId)
    expect(await c.get('')).toEqual([])
  })

  it("one signer never reads another's keys, and a token made for another server key is refused", async () => {
    const alice = await LssPrivClient.connect(address)
    await alice.put([kv('channel/1', 0, 'secret state')])
    const mallory = await LssPrivClient.connect(address)
    expect(await mallory.get('')).toEqual([])
    const wrongServer = new LssPrivClient(
      address,
      secp.utils.randomSecretKey(),
      secp.getPublicKey(secp.utils.randomSecretKey(), true),
    )
    const err = (await wrongServer.get('').catch((e: unknown) => e)) as LssClientError
    expect(err.detail.status).toBe(3)
  })
})
