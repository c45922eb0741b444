/**
 * LSS's messages (lightning-signer/validating-lightning-signer `lightning-storage-server/lib/proto/lss.proto`,
 * package `lss`, service `LightningStorage`), encoded and decoded by hand (protobuf.ts):
 *   PingRequest/PingReply { string message = 1 }          InfoRequest {}
 *   InfoReply { string version = 1; bytes server_id = 2 }  Auth { bytes client_id = 1; bytes token = 2 }
 *   KeyValue { string key = 1; int64 version = 2; bytes value = 3 }
 *   PutRequest { Auth auth = 1; repeated KeyValue kvs = 2; bytes hmac = 3 }
 *   PutReply { bool success = 1; bytes hmac = 2; repeated KeyValue conflicts = 10 }
 *   GetRequest { Auth auth = 1; string key_prefix = 2; bytes nonce = 3 }
 *   GetReply { repeated KeyValue kvs = 1; bytes hmac = 2 }
 */
import type { LssKeyValue } from './auth.js'
import { asInt64, asString, type ProtoField, ProtoWriter, readFields } from './protobuf.js'

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

const EMPTY: Uint8Array = new Uint8Array()
const bytesOf = (f: ProtoField): Uint8Array | undefined => ('bytes' in f ? f.bytes : undefined)
const varintOf = (f: ProtoField): bigint | undefined => ('varint' in f ? f.varint : undefined)

function _keyValue(kv: LssKeyValue): Uint8Array {
  return new ProtoWriter().string(1, kv.key).int(2, kv.version).bytes(3, kv.value).finish()
}

function _readKeyValue(bytes: Uint8Array): LssKeyValue {
  let key = ''
  let version = 0n
  let value = EMPTY
  for (const f of readFields(bytes)) {
    if (f.field === 1 && bytesOf(f)) key = asString(bytesOf(f)!, 'key')
    else if (f.field === 2 && varintOf(f) !== undefined) version = asInt64(varintOf(f)!)
    else if (f.field === 3 && bytesOf(f)) value = bytesOf(f)!
  }
  return { key, version, value }
}

function _readAuth(bytes: Uint8Array): LssAuth {
  let clientId = EMPTY
  let token = EMPTY
  for (const f of readFields(bytes)) {
    if (f.field === 1 && bytesOf(f)) clientId = bytesOf(f)!
    else if (f.field === 2 && bytesOf(f)) token = bytesOf(f)!
  }
  return { clientId, token }
}

function _auth(a: LssAuth): Uint8Array {
  return new ProtoWriter().bytes(1, a.clientId).bytes(2, a.token).finish()
}

export function encodePing(message: string): Uint8Array {
  return new ProtoWriter().string(1, message).finish()
}

export function decodePing(bytes: Uint8Array): string {
  const f = readFields(bytes).find((x) => x.field === 1 && bytesOf(x))
  return f === undefined ? '' : asString(bytesOf(f)!, 'message')
}

export function encodeInfoReply(r: { version: string; serverId: Uint8Array }): Uint8Array {
  return new ProtoWriter().string(1, r.version).bytes(2, r.serverId).finish()
}

export function encodePutRequest(r: PutRequest): Uint8Array {
  const w = new ProtoWriter()
  if (r.auth !== undefined) w.message(1, _auth(r.auth))
  for (const kv of r.kvs) w.message(2, _keyValue(kv))
  return w.bytes(3, r.hmac).finish()
}

export function decodePutRequest(bytes: Uint8Array): PutRequest {
  let auth: LssAuth | undefined
  const kvs: LssKeyValue[] = []
  let hmac = EMPTY
  for (const f of readFields(bytes)) {
    const b = bytesOf(f)
    if (b === undefined) continue
    if (f.field === 1) auth = _readAuth(b)
    else if (f.field === 2) kvs.push(_readKeyValue(b))
    else if (f.field === 3) hmac = b
  }
  return { ...(auth !== undefined ? { auth } : {}), kvs, hmac }
}

export function encodePutReply(r: PutReply): Uint8Array {
  const w = new ProtoWriter().bool(1, r.success).bytes(2, r.hmac)
  for (const kv of r.conflicts) w.message(10, _keyValue(kv))
  return w.finish()
}

export function decodePutReply(bytes: Uint8Array): PutReply {
  let success = false
  let hmac = EMPTY
  const conflicts: LssKeyValue[] = []
  for (const f of readFields(bytes)) {
    if (f.field === 1 && varintOf(f) !== undefined) success = varintOf(f) !== 0n
    else if (f.field === 2 && bytesOf(f)) hmac = bytesOf(f)!
    else if (f.field === 10 && bytesOf(f)) conflicts.push(_readKeyValue(bytesOf(f)!))
  }
  return { success, hmac, conflicts }
}

export function encodeGetRequest(r: GetRequest): Uint8Array {
  const w = new ProtoWriter()
  if (r.auth !== undefined) w.message(1, _auth(r.auth))
  return w.string(2, r.keyPrefix).bytes(3, r.nonce).finish()
}

export function decodeGetRequest(bytes: Uint8Array): GetRequest {
  let auth: LssAuth | undefined
  let keyPrefix = ''
  let nonce = EMPTY
  for (const f of readFields(bytes)) {
    const b = bytesOf(f)
    if (b === undefined) continue
    if (f.field === 1) auth = _readAuth(b)
    else if (f.field === 2) keyPrefix = asString(b, 'key_prefix')
    else if (f.field === 3) nonce = b
  }
  return { ...(auth !== undefined ? { auth } : {}), keyPrefix, nonce }
}

export function encodeGetReply(r: GetReply): Uint8Array {
  const w = new ProtoWriter()
  for (const kv of r.kvs) w.message(1, _keyValue(kv))
  return w.bytes(2, r.hmac).finish()
}

export function decodeGetReply(bytes: Uint8Array): GetReply {
  const kvs: LssKeyValue[] = []
  let hmac = EMPTY
  for (const f of readFields(bytes)) {
    const b = bytesOf(f)
    if (b === undefined) continue
    if (f.field === 1) kvs.push(_readKeyValue(b))
    else if (f.field === 2) hmac = b
  }
  return { kvs, hmac }
}
