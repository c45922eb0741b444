/**
 * VSS's messages, as vss.proto defines them (vss-proto.ts, package `vss`), encoded and decoded by
 * protobufjs as prost (vss-server's and vss-client's codec) does: a proto3 `optional` field keeps its
 * presence (absent is `undefined`, never 0 or ""; present at 0 or "" is written), any other field is left
 * out at its default. Bytes that are not a message of the type, text that is not UTF-8 included, are
 * BAD_PROTOBUF. Versions are int64, carried as bigint. Also the ErrorResponse codes, and the error a
 * request is refused with. Must never read a message past its end or hand on text it did not check.
 */
import protobuf from 'protobufjs'
import { KithError } from '../errors.js'
import { ProtobufError } from './proto-errors.js'
import { VSS_PROTO } from './vss-proto.js'

/** vss.proto's `ErrorCode`: what an ErrorResponse names (a test keeps these equal to the enum). */
export const VSS_ERROR = {
  UNKNOWN: 0,
  CONFLICT_EXCEPTION: 1,
  INVALID_REQUEST_EXCEPTION: 2,
  INTERNAL_SERVER_EXCEPTION: 3,
  NO_SUCH_KEY_EXCEPTION: 4,
  AUTH_EXCEPTION: 5,
} as const
export type VssErrorCode = (typeof VSS_ERROR)[keyof typeof VSS_ERROR]

/** A refusal of a VSS request: answered as an ErrorResponse with its code and this message. */
export class VssRefusedError extends KithError {
  readonly code = 'VSS_REFUSED'
  constructor(
    readonly errorCode: VssErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { errorCode }, options)
  }
}

export interface VssKeyValue {
  readonly key: string
  readonly version: bigint
  readonly value: Uint8Array
}

export interface GetObjectRequest {
  readonly storeId: string
  readonly key: string
}

export interface GetObjectResponse {
  readonly value?: VssKeyValue
}

export interface PutObjectRequest {
  readonly storeId: string
  readonly globalVersion?: bigint
  readonly transactionItems: readonly VssKeyValue[]
  readonly deleteItems: readonly VssKeyValue[]
}

export interface DeleteObjectRequest {
  readonly storeId: string
  readonly keyValue?: VssKeyValue
}

export interface ListKeyVersionsRequest {
  readonly storeId: string
  readonly keyPrefix?: string
  readonly pageSize?: number
  readonly pageToken?: string
}

export interface ListKeyVersionsResponse {
  readonly keyVersions: readonly VssKeyValue[]
  readonly nextPageToken?: string
  readonly globalVersion?: bigint
}

export interface ErrorResponse {
  readonly errorCode: number
  readonly message: string
}

const root = protobuf.parse(VSS_PROTO, { keepCase: true }).root
// protobufjs reads text leniently (bad UTF-8 becomes U+FFFD; from a Node Buffer, even past a short
// message's end), where prost refuses it: every string field is read as its bytes (the same wire type)
// and checked here. Retyped before anything resolves the fields.
for (const t of (root.lookup('vss') as protobuf.Namespace).nestedArray)
  if (t instanceof protobuf.Type) for (const f of t.fieldsArray) if (f.type === 'string') f.type = 'bytes'
root.resolveAll()

const type = (name: string) => root.lookupType(`vss.${name}`)
const T = {
  get: type('GetObjectRequest'),
  getReply: type('GetObjectResponse'),
  put: type('PutObjectRequest'),
  putReply: type('PutObjectResponse'),
  del: type('DeleteObjectRequest'),
  delReply: type('DeleteObjectResponse'),
  list: type('ListKeyVersionsRequest'),
  listReply: type('ListKeyVersionsResponse'),
  error: type('ErrorResponse'),
}

/** The ErrorCode enum as the schema has it. */
export const VSS_ERROR_CODES: Readonly<Record<string, number>> = root.lookupEnum('vss.ErrorCode').values

/** A message as protobufjs gives it: int64 as decimal text, absent `optional` fields left out. */
type Plain = Record<string, unknown>
type Value = string | bigint | number | Uint8Array | Plain | readonly Plain[]

const UTF8 = new TextEncoder()
// fatal: bad UTF-8 is refused, not replaced; ignoreBOM: a leading U+FEFF is text, as Rust keeps it
const STRICT_TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function _decode(t: protobuf.Type, bytes: Uint8Array): Plain {
  // a plain view: protobufjs's Buffer reader does not check a string's length against the message's end
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let message: protobuf.Message
  try {
    message = t.decode(view)
  } catch (err) {
    throw new ProtobufError(`${t.name}: ${(err as Error).message}`)
  }
  return t.toObject(message, { longs: String, enums: Number, defaults: true, arrays: true }) as Plain
}

const _isDefault = (v: Value) =>
  v === '' ||
  v === 0n ||
  v === 0 ||
  (v instanceof Uint8Array && v.length === 0) ||
  (Array.isArray(v) && v.length === 0)

/**
 * The fields to write: an `optional` one whenever it is there, any other only off its default (as prost
 * writes them; protobufjs would write any field that is set). Text goes as its UTF-8 bytes.
 */
function _fields(fields: Record<string, Value | undefined>, optional: readonly string[] = []): Plain {
  const out: Plain = {}
  for (const [name, v] of Object.entries(fields)) {
    if (v === undefined || (!optional.includes(name) && _isDefault(v))) continue
    out[name] = typeof v === 'string' ? UTF8.encode(v) : typeof v === 'bigint' ? v.toString() : v
  }
  return out
}

const _encode = (t: protobuf.Type, value: Plain): Uint8Array =>
  new Uint8Array(t.encode(t.fromObject(value)).finish())

const _bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayLike<number>)
const _int64 = (v: unknown): bigint => BigInt(String(v))
const _has = (o: Plain, field: string) => o[field] !== undefined && o[field] !== null
const _list = (o: Plain, field: string): unknown[] => {
  const v = o[field]
  return Array.isArray(v) ? v : []
}

function _text(field: string, v: unknown): string {
  try {
    // an absent field's default comes as a plain [] here, not bytes
    return STRICT_TEXT.decode(_bytes(v))
  } catch {
    throw new ProtobufError(`${field}: not UTF-8`)
  }
}

function _kv(v: unknown): VssKeyValue {
  const o = v as Plain
  return { key: _text('KeyValue.key', o['key']), version: _int64(o['version']), value: _bytes(o['value']) }
}

const _plainKv = (kv: VssKeyValue): Plain => _fields({ key: kv.key, version: kv.version, value: kv.value })

// --- GetObject ---

export function encodeGetObjectRequest(r: GetObjectRequest): Uint8Array {
  return _encode(T.get, _fields({ store_id: r.storeId, key: r.key }))
}

export function decodeGetObjectRequest(bytes: Uint8Array): GetObjectRequest {
  const o = _decode(T.get, bytes)
  return {
    storeId: _text('GetObjectRequest.store_id', o['store_id']),
    key: _text('GetObjectRequest.key', o['key']),
  }
}

export function encodeGetObjectResponse(r: GetObjectResponse): Uint8Array {
  return _encode(T.getReply, _fields({ value: r.value === undefined ? undefined : _plainKv(r.value) }))
}

export function decodeGetObjectResponse(bytes: Uint8Array): GetObjectResponse {
  const o = _decode(T.getReply, bytes)
  return _has(o, 'value') ? { value: _kv(o['value']) } : {}
}

// --- PutObjects ---

export function encodePutObjectRequest(r: PutObjectRequest): Uint8Array {
  return _encode(
    T.put,
    _fields(
      {
        store_id: r.storeId,
        global_version: r.globalVersion,
        transaction_items: r.transactionItems.map(_plainKv),
        delete_items: r.deleteItems.map(_plainKv),
      },
      ['global_version'],
    ),
  )
}

export function decodePutObjectRequest(bytes: Uint8Array): PutObjectRequest {
  const o = _decode(T.put, bytes)
  return {
    storeId: _text('PutObjectRequest.store_id', o['store_id']),
    ...(_has(o, 'global_version') ? { globalVersion: _int64(o['global_version']) } : {}),
    transactionItems: _list(o, 'transaction_items').map(_kv),
    deleteItems: _list(o, 'delete_items').map(_kv),
  }
}

export function encodePutObjectResponse(): Uint8Array {
  return new Uint8Array()
}

/** Checks that the bytes are a PutObjectResponse (it has no fields; unknown ones are skipped). */
export function decodePutObjectResponse(bytes: Uint8Array): void {
  _decode(T.putReply, bytes)
}

// --- DeleteObject ---

export function encodeDeleteObjectRequest(r: DeleteObjectRequest): Uint8Array {
  return _encode(
    T.del,
    _fields({ store_id: r.storeId, key_value: r.keyValue === undefined ? undefined : _plainKv(r.keyValue) }),
  )
}

export function decodeDeleteObjectRequest(bytes: Uint8Array): DeleteObjectRequest {
  const o = _decode(T.del, bytes)
  return {
    storeId: _text('DeleteObjectRequest.store_id', o['store_id']),
    ...(_has(o, 'key_value') ? { keyValue: _kv(o['key_value']) } : {}),
  }
}

export function encodeDeleteObjectResponse(): Uint8Array {
  return new Uint8Array()
}

/** Checks that the bytes are a DeleteObjectResponse (it has no fields; unknown ones are skipped). */
export function decodeDeleteObjectResponse(bytes: Uint8Array): void {
  _decode(T.delReply, bytes)
}

// --- ListKeyVersions ---

export function encodeListKeyVersionsRequest(r: ListKeyVersionsRequest): Uint8Array {
  return _encode(
    T.list,
    _fields(
      { store_id: r.storeId, key_prefix: r.keyPrefix, page_size: r.pageSize, page_token: r.pageToken },
      ['key_prefix', 'page_size', 'page_token'],
    ),
  )
}

export function decodeListKeyVersionsRequest(bytes: Uint8Array): ListKeyVersionsRequest {
  const o = _decode(T.list, bytes)
  return {
    storeId: _text('ListKeyVersionsRequest.store_id', o['store_id']),
    ...(_has(o, 'key_prefix')
      ? { keyPrefix: _text('ListKeyVersionsRequest.key_prefix', o['key_prefix']) }
      : {}),
    ...(_has(o, 'page_size') ? { pageSize: Number(o['page_size']) } : {}),
    ...(_has(o, 'page_token')
      ? { pageToken: _text('ListKeyVersionsRequest.page_token', o['page_token']) }
      : {}),
  }
}

export function encodeListKeyVersionsResponse(r: ListKeyVersionsResponse): Uint8Array {
  return _encode(
    T.listReply,
    _fields(
      {
        key_versions: r.keyVersions.map(_plainKv),
        next_page_token: r.nextPageToken,
        global_version: r.globalVersion,
      },
      ['next_page_token', 'global_version'],
    ),
  )
}

export function decodeListKeyVersionsResponse(bytes: Uint8Array): ListKeyVersionsResponse {
  const o = _decode(T.listReply, bytes)
  return {
    keyVersions: _list(o, 'key_versions').map(_kv),
    ...(_has(o, 'next_page_token')
      ? { nextPageToken: _text('ListKeyVersionsResponse.next_page_token', o['next_page_token']) }
      : {}),
    ...(_has(o, 'global_version') ? { globalVersion: _int64(o['global_version']) } : {}),
  }
}

// --- ErrorResponse ---

export function encodeErrorResponse(r: ErrorResponse): Uint8Array {
  return _encode(T.error, _fields({ error_code: r.errorCode, message: r.message }))
}

export function decodeErrorResponse(bytes: Uint8Array): ErrorResponse {
  const o = _decode(T.error, bytes)
  return { errorCode: Number(o['error_code']), message: _text('ErrorResponse.message', o['message']) }
}
