/**
 * The `lss.LightningStorage` service as lssd answers it (lightning-signer/validating-lightning-signer
 * `lightning-storage-server/lssd/src/driver.rs`), over the signer core (core.ts): a Put batch that passes
 * LSS's checks is replicated (one entry of the vault's journal, held by W guardians) before it is applied
 * and answered, so a signer never signs ahead of its backup. Puts run one at a time.
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
import { KithError } from '../errors.js'
import { lssHmac, lssSharedSecret, lssToken, PUT_CLIENT_NONCE, PUT_SERVER_NONCE } from './auth.js'
import type { SignerCore } from './core.js'
import { GRPC, GrpcStatusError, type UnaryHandler } from './grpc.js'
import {
  decodeGetRequest,
  decodePing,
  decodePutRequest,
  encodeGetReply,
  encodeInfoReply,
  encodePing,
  encodePutReply,
  type LssAuth,
} from './messages.js'
import { lssPutStatement } from './store.js'

/** How many signers' shared secrets are kept in memory (a node has one signer; a few more cost nothing). */
const SECRETS_KEPT = 16

/** What Info says: lssd's version string. */
export const LSS_VERSION = '0.1'

export interface LssServiceOptions {
  readonly serverSecretKey: Uint8Array
  readonly core: SignerCore
}

/** The service's methods by name, for serveGrpc(LSS_SERVICE, …). */
export function lssService(o: LssServiceOptions): Map<string, UnaryHandler> {
  const serverId = secp.getPublicKey(o.serverSecretKey, true)

  // the ECDH of a signer's key is the same at every request, and costs a millisecond: the last few kept
  const secrets = new Map<string, Uint8Array>()
  const sharedWith = (clientId: Uint8Array): Uint8Array => {
    const id = Buffer.from(clientId).toString('hex')
    let shared = secrets.get(id)
    if (shared === undefined) {
      shared = lssSharedSecret(o.serverSecretKey, clientId)
      if (secrets.size >= SECRETS_KEPT) secrets.delete(secrets.keys().next().value!)
      secrets.set(id, shared)
    }
    return shared
  }

  /** The shared secret of an authenticated request. */
  const authenticate = (auth: LssAuth | undefined): Uint8Array => {
    if (auth === undefined) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'missing auth')
    let shared: Uint8Array
    try {
      shared = sharedWith(auth.clientId)
    } catch {
      throw new GrpcStatusError(GRPC.UNAUTHENTICATED, 'invalid client id')
    }
    if (!equalBytes(lssToken(shared), auth.token))
      throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid auth token')
    return shared
  }

  const put: UnaryHandler = async (bytes) => {
    const req = decodePutRequest(bytes)
    if (req.auth === undefined) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'missing auth')
    const utf8 = new TextEncoder()
    for (let i = 1; i < req.kvs.length; i++)
      if (Buffer.compare(utf8.encode(req.kvs[i - 1]!.key), utf8.encode(req.kvs[i]!.key)) > 0)
        throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'keys are not sorted')
    const shared = authenticate(req.auth)
    if (!equalBytes(lssHmac(shared, PUT_CLIENT_NONCE, req.kvs), req.hmac))
      throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid client HMAC')
    const client = req.auth.clientId
    try {
      return await o.core.exclusive((store) => {
        const conflicts = store.lssConflicts(client, req.kvs)
        if (conflicts.length > 0)
          return { writes: [], answer: encodePutReply({ success: false, hmac: new Uint8Array(), conflicts }) }
        return {
          writes: req.kvs.map((kv) => lssPutStatement(client, kv)),
          answer: encodePutReply({
            success: true,
            hmac: lssHmac(shared, PUT_SERVER_NONCE, req.kvs),
            conflicts: [],
          }),
        }
      })
    } catch (err) {
      if (err instanceof KithError && err.code === 'NOT_DURABLE')
        throw new GrpcStatusError(GRPC.UNAVAILABLE, err.message)
      if (err instanceof KithError && err.code === 'BATCH_TOO_LARGE')
        throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, err.message)
      throw err
    }
  }

  const get: UnaryHandler = async (bytes) => {
    const req = decodeGetRequest(bytes)
    const shared = authenticate(req.auth)
    const kvs = o.core.store.lssGet(req.auth!.clientId, req.keyPrefix)
    return encodeGetReply({ kvs, hmac: lssHmac(shared, req.nonce, kvs) })
  }

  return new Map<string, UnaryHandler>([
    ['Ping', async (bytes) => encodePing(decodePing(bytes))],
    ['Info', async () => encodeInfoReply({ version: LSS_VERSION, serverId })],
    ['Put', put],
    ['Get', get],
  ])
}
