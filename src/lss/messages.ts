/**
 * LSS's messages, as lss.proto defines them (lss-proto.ts, package `lss`, service `LightningStorage`),
 * encoded and decoded by protobufjs. Versions are int64 (−1: a key that is not there); kith carries
 * them as bigint. Bytes that are not a message of the type are BAD_PROTOBUF.
 */
import protobuf from 'protobufjs'
import type { LssKeyValue } from './auth.js'
import { LSS_PROTO } from './lss-proto.js'
import { ProtobufError } from './proto-errors.js'

export const LSS_SERVICE = 'lss.LightningStorage'

export interface LssAuth {
  readonly clientId: Uint8Array
  readonly token: Uint8Array
}

export interface PutRequest {
  readonly auth?: LssAuth
  readonly kvs: readonly LssKeyValue[]
  readonly hmac: Uint8Array
}

export interface PutReply {
  readonly success: boolean
  readonly hmac: Uint8Array
  readonly conflicts: readonly LssKeyValue[]
}

export interface GetRequest {
  readonly auth?: LssAuth
  readonly keyPrefix: string
  readonly nonce: Uint8Array
}

export interface GetReply {
  readonly kvs: readonly LssKeyValue[]
  readonly hmac: Uint8Array
}

const root = protobuf.parse(LSS_PROTO, { keepCase: true }).root
const type = (name: string) => root.lookupType(`lss.${name}`)
const T = {
  ping: type('PingRequest'),
  info: type('InfoReply'),
  put: type('PutRequest'),
  putReply: type('PutReply'),
  get: type('GetRequest'),
  getReply: type('GetReply'),
}

/** What protobufjs gives for a message: every field present, int64 as decimal text, bytes as Buffer. */
type Plain = Record<string, unknown>
interface PlainKv {
  readonly key: string
  readonly version: string
  readonly value: Uint8Array
}
interface PlainAuth {
  readonly client_id: Uint8Array
  readonly token: Uint8Array
}
interface Decoded {
  readonly message: string
  readonly version: string
  readonly server_id: Uint8Array
  readonly auth: PlainAuth | null
  readonly kvs: readonly PlainKv[]
  readonly conflicts: readonly PlainKv[]
  readonly hmac: Uint8Array
  readonly success: boolean
  readonly key_prefix: string
  readonly nonce: Uint8Array
}

/** A message of `t` as protobufjs reads it (only the fields `t` has are there). */
function _decode(t: protobuf.Type, bytes: Uint8Array): Decoded {
  let message: protobuf.Message
  try {
    message = t.decode(bytes)
  } catch (err) {
    throw new ProtobufError(`${t.name}: ${(err as Error).message}`)
  }
  return t.toObject(message, { longs: String, defaults: true, arrays: true }) as Decoded
}

/**
 * A proto3 field at its default (0, "", false, empty bytes) is not written, as protoc's and prost's
 * encoders leave it out (protobufjs writes any field that is set); lss.proto has no `optional` field.
 */
function _withoutDefaults(value: Plain): Plain {
  const out: Plain = {}
  for (const [k, v] of Object.entries(value)) {
    // (an int64 travels as its decimal text, left out at 0 by _plainKv: text "0" is a string's own)
    if (v === 0 || v === '' || v === false || (v instanceof Uint8Array && v.length === 0)) continue
    const nested = (x: unknown) =>
      typeof x === 'object' && x !== null && !(x instanceof Uint8Array) ? _withoutDefaults(x as Plain) : x
    out[k] = Array.isArray(v) ? v.map(nested) : nested(v)
  }
  return out
}

const _encode = (t: protobuf.Type, value: Plain): Uint8Array =>
  new Uint8Array(t.encode(t.fromObject(_withoutDefaults(value))).finish())

const _bytes = (v: Uint8Array): Uint8Array => new Uint8Array(v)

const _kv = (o: PlainKv): LssKeyValue => ({ key: o.key, version: BigInt(o.version), value: _bytes(o.value) })

const _plainKv = (kv: LssKeyValue): Plain => ({
  key: kv.key,
  // a version of 0 is the default: not written, as prost leaves it out
  ...(kv.version !== 0n ? { version: kv.version.toString() } : {}),
  value: kv.value,
})

const _auth = (a: PlainAuth | null): LssAuth | undefined =>
  a === null ? undefined : { clientId: _bytes(a.client_id), token: _bytes(a.token) }

const _plainAuth = (a: LssAuth | undefined): Plain =>
  a === undefined ? {} : { auth: { client_id: a.clientId, token: a.token } }

export function encodePing(message: string): Uint8Array {
  return _encode(T.ping, { message })
}

export function decodePing(bytes: Uint8Array): string {
  return _decode(T.ping, bytes).message
}

export function encodeInfoReply(r: { version: string; serverId: Uint8Array }): Uint8Array {
  return _encode(T.info, { version: r.version, server_id: r.serverId })
}

export function decodeInfoReply(bytes: Uint8Array): { version: string; serverId: Uint8Array } {
  const o = _decode(T.info, bytes)
  return { version: o.version, serverId: _bytes(o.server_id) }
}

export function encodePutRequest(r: PutRequest): Uint8Array {
  return _encode(T.put, { ..._plainAuth(r.auth), kvs: r.kvs.map(_plainKv), hmac: r.hmac })
}

export function decodePutRequest(bytes: Uint8Array): PutRequest {
  const o = _decode(T.put, bytes)
  const auth = _auth(o.auth)
  return {
    ...(auth !== undefined ? { auth } : {}),
    kvs: o.kvs.map(_kv),
    hmac: _bytes(o.hmac),
  }
}

export function encodePutReply(r: PutReply): Uint8Array {
  return _encode(T.putReply, { success: r.success, hmac: r.hmac, conflicts: r.conflicts.map(_plainKv) })
}

export function decodePutReply(bytes: Uint8Array): PutReply {
  const o = _decode(T.putReply, bytes)
  return {
    success: o.success,
    hmac: _bytes(o.hmac),
    conflicts: o.conflicts.map(_kv),
  }
}

export function encodeGetRequest(r: GetRequest): Uint8Array {
  return _encode(T.get, { ..._plainAuth(r.auth), key_prefix: r.keyPrefix, nonce: r.nonce })
}

export function decodeGetRequest(bytes: Uint8Array): GetRequest {
  const o = _decode(T.get, bytes)
  const auth = _auth(o.auth)
  return {
    ...(auth !== undefined ? { auth } : {}),
    keyPrefix: o.key_prefix,
    nonce: _bytes(o.nonce),
  }
}

export function encodeGetReply(r: GetReply): Uint8Array {
  return _encode(T.getReply, { kvs: r.kvs.map(_plainKv), hmac: r.hmac })
}

export function decodeGetReply(bytes: Uint8Array): GetReply {
  const o = _decode(T.getReply, bytes)
  return { kvs: o.kvs.map(_kv), hmac: _bytes(o.hmac) }
}
