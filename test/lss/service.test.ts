/**
 * `lss.LightningStorage` over real gRPC on 127.0.0.1, from the signer's side (the client computes the
 * shared secret from its own key, as VLS does) and from an attacker's: a wrong token, a forged HMAC,
 * another client's keys. A batch is replicated before it is applied and answered; when replication fails
 * the signer gets UNAVAILABLE and nothing is applied.
 */
import { join } from 'node:path'
import * as secp from '@noble/secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/crypto/hash.js'
import { type LssKeyValue, lssHmac, PUT_CLIENT_NONCE, PUT_SERVER_NONCE } from '../../src/lss/auth.js'
import { type GrpcServer, grpcFrame, grpcUnframe, serveGrpc } from '../../src/lss/grpc.js'
import {
  decodeGetReply,
  decodePutReply,
  encodeGetRequest,
  encodePutRequest,
  LSS_SERVICE,
} from '../../src/lss/messages.js'
import { LssMirror } from '../../src/lss/mirror.js'
import { lssService } from '../../src/lss/service.js'
import { grpcCall } from '../helpers/grpc.js'
import { fileTempDir } from '../helpers/tmp.js'

const serverKey = secp.utils.randomSecretKey()
const serverId = secp.getPublicKey(serverKey, true)
let server: GrpcServer
let mirror: LssMirror
const replicated: LssKeyValue[][] = []
let replicationDown = false

/** A signer: its key, and the shared secret and token it derives from the server's id. */
function signer() {
  const sk = secp.utils.randomSecretKey()
  const shared = sha256(secp.getSharedSecret(sk, serverId, true))
  return { clientId: secp.getPublicKey(sk, true), shared, token: sha256(shared) }
}
const kv = (key: string, version: number, value = key): LssKeyValue => ({
  key,
  version: BigInt(version),
  value: new TextEncoder().encode(value),
})

async function put(
  s: ReturnType<typeof signer>,
  kvs: LssKeyValue[],
  hmac = lssHmac(s.shared, PUT_CLIENT_NONCE, kvs),
) {
  const r = await grpcCall(
    server.port,
    `/${LSS_SERVICE}/Put`,
    grpcFrame(encodePutRequest({ auth: { clientId: s.clientId, token: s.token }, kvs, hmac })),
  )
  return { ...r, reply: r.status === '0' ? decodePutReply(grpcUnframe(new Uint8Array(r.data))) : undefined }
}

async function get(s: ReturnType<typeof signer>, prefix: string, token = s.token) {
  const nonce = secp.utils.randomSecretKey()
  const r = await grpcCall(
    server.port,
    `/${LSS_SERVICE}/Get`,
    grpcFrame(encodeGetRequest({ auth: { clientId: s.clientId, token }, keyPrefix: prefix, nonce })),
  )
  const reply = r.status === '0' ? decodeGetReply(grpcUnframe(new Uint8Array(r.data))) : undefined
  return { ...r, reply, nonce }
}

beforeAll(async () => {
  mirror = LssMirror.open(join(await fileTempDir('kith-lss-'), 'lss.sqlite3'))
  server = await serveGrpc(
    lssService({
      serverSecretKey: serverKey,
      mirror,
      replicate: async (_client, kvs) => {
        if (replicationDown) throw new Error('2 of the 3 guardians it needs did not answer')
        replicated.push([...kvs])
      },
    }),
    { host: '127.0.0.1', port: 0 },
  )
})
afterAll(async () => {
  await server.close()
  mirror.close()
})

describe('lss.LightningStorage', () => {
  it('a signer puts a batch: replicated first, then answered with the server HMAC; gets it back, HMAC-checked', async () => {
    const s = signer()
    const batch = [kv('x1', 0), kv('x2', 0)]
    const r = await put(s, batch)
    expect(r.reply).toEqual({
      success: true,
      hmac: lssHmac(s.shared, PUT_SERVER_NONCE, batch),
      conflicts: [],
    })
    expect(replicated.at(-1)).toEqual(batch)
    const g = await get(s, 'x')
    expect(g.reply!.kvs).toEqual(batch)
    expect(g.reply!.hmac).toEqual(lssHmac(s.shared, g.nonce, batch))
  })

  it('a stale version is answered in-band: success false, every conflict with what is stored', async () => {
    const s = signer()
    await put(s, [kv('a', 0)])
    const r = await put(s, [kv('a', 0, 'again'), kv('b', 2)])
    expect(r.status).toBe('0')
    expect(r.reply).toEqual({
      success: false,
      hmac: new Uint8Array(),
      conflicts: [kv('a', 0), { key: 'b', version: -1n, value: new Uint8Array() }],
    })
  })

  it("refuses a wrong token, a forged HMAC and keys out of order; one client never reads another's keys", async () => {
    const s = signer()
    await put(s, [kv('secret', 0)])
    expect(await get(s, '', new Uint8Array(32))).toMatchObject({ status: '3', message: 'invalid auth token' })
    expect(await put(s, [kv('secret', 1)], new Uint8Array(32))).toMatchObject({
      status: '3',
      message: 'invalid client HMAC',
    })
    expect(await put(s, [kv('b', 0), kv('a', 0)])).toMatchObject({ status: '3' })
    const other = signer()
    expect((await get(other, '')).reply!.kvs).toEqual([])
    const bad = { ...other, clientId: new Uint8Array(33).fill(7) }
    expect(await get(bad, '')).toMatchObject({ status: '16', message: 'invalid client id' })
  })

  it('when the batch cannot be replicated: UNAVAILABLE, and nothing is applied', async () => {
    const s = signer()
    replicationDown = true
    try {
      const r = await put(s, [kv('k', 0)])
      expect(r.status).toBe('14')
      expect(r.message).toMatch(/not stored/)
    } finally {
      replicationDown = false
    }
    expect((await get(s, 'k')).reply!.kvs).toEqual([])
    expect((await put(s, [kv('k', 0)])).reply!.success).toBe(true)
  })
})
