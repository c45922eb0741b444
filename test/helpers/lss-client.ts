/**
 * An LSS client as VLS writes it (lightning-signer/validating-lightning-signer
 * `lightning-storage-server/lib/src/client/driver.rs` `Client`, `PrivClient`; `auth.rs` `PrivAuth`;
 * `lib/src/util.rs`), over @grpc/grpc-js: the shared secret from its own key and the server's id (Info),
 * the token, each value carrying its HMAC under the client's own secret (`prepare_value_for_put`, without
 * the optional `crypt` feature), keys sorted, the client HMAC sent, the server HMAC checked on Put and on
 * Get (with a fresh 32-byte nonce), conflicts returned with their HMACs checked. Errors as the Rust
 * client's ClientError.
 */
import { createHmac, randomBytes } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import * as secp from '@noble/secp256k1'
import { sha256 } from '../../src/crypto/hash.js'
import { type LssKeyValue, lssHmac, PUT_CLIENT_NONCE, PUT_SERVER_NONCE } from '../../src/lss/auth.js'
import {
  decodeGetReply,
  decodeInfoReply,
  decodePing,
  decodePutReply,
  encodeGetRequest,
  encodePing,
  encodePutRequest,
  LSS_SERVICE,
} from '../../src/lss/messages.js'

/** ClientError of the Rust client. */
export class LssClientError extends Error {
  constructor(
    readonly kind: 'Tonic' | 'InvalidResponse' | 'InvalidHmac' | 'InvalidServerHmac' | 'PutConflict',
    message: string,
    readonly detail: { status?: number; conflicts?: LssKeyValue[] } = {},
  ) {
    super(message)
  }
}

const ser = (b: Uint8Array) => Buffer.from(b)
const de = (b: Buffer) => new Uint8Array(b)

/** One kept-open channel per address, as a tonic client keeps its channel. */
const channels = new Map<string, grpc.Client>()

async function unary(address: string, method: string, body: Uint8Array): Promise<Uint8Array> {
  let client = channels.get(address)
  if (client === undefined) {
    client = new grpc.Client(address, grpc.credentials.createInsecure())
    channels.set(address, client)
  }
  return await new Promise((resolve, reject) =>
    client.makeUnaryRequest(`/${LSS_SERVICE}/${method}`, ser, de, body, (err, reply) => {
      if (err) reject(new LssClientError('Tonic', err.details, { status: err.code }))
      else resolve(reply!)
    }),
  )
}

/** Close every kept-open channel (the end of a test file, a bench). */
export function closeLssChannels(): void {
  for (const c of channels.values()) c.close()
  channels.clear()
}

/** `compute_hmac` of util.rs: a value's own HMAC under the client's secret. */
function valueHmac(secret: Uint8Array, key: string, version: bigint, value: Uint8Array): Uint8Array {
  const v = Buffer.alloc(8)
  v.writeBigInt64BE(version)
  return new Uint8Array(createHmac('sha256', secret).update(key).update(v).update(value).digest())
}

export async function lssInfo(address: string): Promise<{ serverId: Uint8Array; version: string }> {
  const r = decodeInfoReply(await unary(address, 'Info', new Uint8Array()))
  try {
    secp.Point.fromBytes(r.serverId)
  } catch {
    throw new LssClientError('InvalidResponse', 'invalid response from server')
  }
  return r
}

export async function lssPing(address: string, message: string): Promise<string> {
  return decodePing(await unary(address, 'Ping', encodePing(message)))
}

/** `PrivClient`: a signer's key, the server's id learned from Info; hmacSecret = SHA-256(key), as lss-cli makes it. */
export class LssPrivClient {
  readonly clientId: Uint8Array
  readonly shared: Uint8Array
  readonly hmacSecret: Uint8Array

  constructor(
    readonly address: string,
    secretKey: Uint8Array,
    serverId: Uint8Array,
  ) {
    this.clientId = secp.getPublicKey(secretKey, true)
    this.shared = sha256(secp.getSharedSecret(secretKey, serverId, true))
    this.hmacSecret = sha256(secretKey)
  }

  static async connect(address: string, secretKey = secp.utils.randomSecretKey()): Promise<LssPrivClient> {
    return new LssPrivClient(address, secretKey, (await lssInfo(address)).serverId)
  }

  private auth() {
    return { clientId: this.clientId, token: sha256(this.shared) }
  }

  /** A value as the client stores it: followed by its own HMAC (`prepare_value_for_put`). */
  prepared(kv: { key: string; version: bigint; value: Uint8Array }): LssKeyValue {
    return {
      ...kv,
      value: new Uint8Array([...kv.value, ...valueHmac(this.hmacSecret, kv.key, kv.version, kv.value)]),
    }
  }

  /** Values without their HMAC, as the signer means them. */
  async put(kvs: readonly { key: string; version: bigint; value: Uint8Array }[]): Promise<void> {
    const sorted = [...kvs]
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
      .map((kv) => this.prepared(kv))
    const clientHmac = lssHmac(this.shared, PUT_CLIENT_NONCE, sorted)
    const serverHmac = lssHmac(this.shared, PUT_SERVER_NONCE, sorted)
    const reply = decodePutReply(
      await unary(
        this.address,
        'Put',
        encodePutRequest({ auth: this.auth(), kvs: sorted, hmac: clientHmac }),
      ),
    )
    if (!reply.success)
      throw new LssClientError('PutConflict', 'Put had conflicts', {
        conflicts: this._checked(reply.conflicts),
      })
    if (!Buffer.from(reply.hmac).equals(Buffer.from(serverHmac)))
      throw new LssClientError('InvalidServerHmac', 'invalid server HMAC')
  }

  async get(prefix: string): Promise<LssKeyValue[]> {
    const nonce = new Uint8Array(randomBytes(32))
    const reply = decodeGetReply(
      await unary(this.address, 'Get', encodeGetRequest({ auth: this.auth(), keyPrefix: prefix, nonce })),
    )
    if (!Buffer.from(reply.hmac).equals(Buffer.from(lssHmac(this.shared, nonce, reply.kvs))))
      throw new LssClientError('InvalidServerHmac', 'invalid server HMAC')
    return this._checked(reply.kvs)
  }

  /** `remove_and_check_hmacs`: each value's own HMAC removed and checked. */
  private _checked(kvs: readonly LssKeyValue[]): LssKeyValue[] {
    return kvs.map((kv) => {
      const value = kv.value.subarray(0, kv.value.length - 32)
      const mac = kv.value.subarray(kv.value.length - 32)
      if (
        kv.value.length < 32 ||
        !Buffer.from(mac).equals(Buffer.from(valueHmac(this.hmacSecret, kv.key, kv.version, value)))
      )
        throw new LssClientError('InvalidHmac', `invalid HMAC for key ${kv.key} version ${kv.version}`)
      return { key: kv.key, version: kv.version, value: new Uint8Array(value) }
    })
  }
}
