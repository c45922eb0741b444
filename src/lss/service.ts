/**
 * The `lss.LightningStorage` service as lssd answers it (lightning-signer/validating-lightning-signer
 * `lightning-storage-server/lssd/src/driver.rs`), over a mirror and a `replicate` step: a Put batch that
 * passes LSS's checks is replicated (for kith: one entry of the vault's journal, held by W guardians)
 * before it is applied and answered, so a signer never signs ahead of its backup. Puts run one at a time.
 *
 * Put, in lssd's order: no auth → INVALID_ARGUMENT "missing auth"; keys not in order → INVALID_ARGUMENT;
 * a client id that is not a public key → UNAUTHENTICATED "invalid client id"; a wrong token →
 * INVALID_ARGUMENT "invalid auth token"; a wrong client HMAC → INVALID_ARGUMENT "invalid client HMAC";
 * version conflicts → OK with success = false and every conflict; replication that fails → UNAVAILABLE,
 * nothing applied; else success with the server's HMAC (nonce 0x02) over the request's key-values.
 * Get: the same auth, then the keys under the prefix with an HMAC over them and the client's nonce.
 */
import * as secp from '@noble/secp256k1'
import { equalBytes } from '../crypto/bytes.js'
import { thrownText } from '../errors.js'
import {
  type LssKeyValue,
  lssHmac,
  lssSharedSecret,
  lssToken,
  PUT_CLIENT_NONCE,
  PUT_SERVER_NONCE,
} from './auth.js'
import { GRPC, GrpcStatusError, type UnaryHandler } from './grpc.js'
import {
  decodeGetRequest,
  decodePing,
  decodePutRequest,
  encodeGetReply,
  encodeInfoReply,
  encodePing,
  encodePutReply,
  LSS_SERVICE,
  type LssAuth,
} from './messages.js'
import type { LssMirror } from './mirror.js'

/** What Info says: lssd's version string. */
export const LSS_VERSION = '0.1'

export interface LssServiceOptions {
  readonly serverSecretKey: Uint8Array
  readonly mirror: LssMirror
  /** Make a checked batch durable (W guardians) before it is applied; throws when it cannot. */
  readonly replicate: (client: Uint8Array, kvs: readonly LssKeyValue[]) => Promise<void>
}

/** The service's methods by path, for serveGrpc. */
export function lssService(o: LssServiceOptions): Map<string, UnaryHandler> {
  const serverId = secp.getPublicKey(o.serverSecretKey, true)
  let turn: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turn.then(fn, fn)
    turn = run.catch(() => undefined)
    return run
  }

  /** The shared secret of an authenticated request. */
  const authenticate = (auth: LssAuth | undefined): Uint8Array => {
    if (auth === undefined) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'missing auth')
    let shared: Uint8Array
    try {
      shared = lssSharedSecret(o.serverSecretKey, auth.clientId)
    } catch {
      throw new GrpcStatusError(GRPC.UNAUTHENTICATED, 'invalid client id')
    }
    if (!equalBytes(lssToken(shared), auth.token))
      throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid auth token')
    return shared
  }

  const put: UnaryHandler = (bytes) =>
    oneAtATime(async () => {
      const req = decodePutRequest(bytes)
      if (req.auth === undefined) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'missing auth')
      const utf8 = new TextEncoder()
      for (let i = 1; i < req.kvs.length; i++)
        if (Buffer.compare(utf8.encode(req.kvs[i - 1]!.key), utf8.encode(req.kvs[i]!.key)) > 0)
          throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'keys are not in order')
      const shared = authenticate(req.auth)
      if (!equalBytes(lssHmac(shared, PUT_CLIENT_NONCE, req.kvs), req.hmac))
        throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid client HMAC')
      const client = req.auth.clientId
      const conflicts = o.mirror.conflicts(client, req.kvs)
      if (conflicts.length > 0) return encodePutReply({ success: false, hmac: new Uint8Array(), conflicts })
      try {
        await o.replicate(client, req.kvs)
      } catch (err) {
        throw new GrpcStatusError(GRPC.UNAVAILABLE, `not stored: ${thrownText(err)}`)
      }
      o.mirror.apply(client, req.kvs)
      return encodePutReply({
        success: true,
        hmac: lssHmac(shared, PUT_SERVER_NONCE, req.kvs),
        conflicts: [],
      })
    })

  const get: UnaryHandler = async (bytes) => {
    const req = decodeGetRequest(bytes)
    const shared = authenticate(req.auth)
    const kvs = o.mirror.get(req.auth!.clientId, req.keyPrefix)
    return encodeGetReply({ kvs, hmac: lssHmac(shared, req.nonce, kvs) })
  }

  return new Map<string, UnaryHandler>([
    [`/${LSS_SERVICE}/Ping`, async (bytes) => encodePing(decodePing(bytes))],
    [`/${LSS_SERVICE}/Info`, async () => encodeInfoReply({ version: LSS_VERSION, serverId })],
    [`/${LSS_SERVICE}/Put`, put],
    [`/${LSS_SERVICE}/Get`, get],
  ])
}
