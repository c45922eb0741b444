/**
 * LDK's VSS (Versioned Storage Service) API as lightningdevkit/vss-server answers it
 * (`rust/server/src/vss_service.rs` over `rust/impls/src/postgres_store.rs`), in front of the signer core
 * (core.ts): HTTP/1.1, POST /vss/getObject, /vss/putObjects, /vss/deleteObject, /vss/listKeyVersions, protobuf
 * bodies (vss-messages.ts), the signature authorizer (vss-auth.ts) before the body is read, and
 * `vss-protocol-version: 0` on every answer (vss-client ≥ 0.6 refuses one without it). Objects are kept per
 * (user, store_id). A write is decided inside the core's turn, so its version checks see the state its batch
 * is applied to, and it is replicated (W guardians) before it is applied and answered. Must never answer a
 * write as done that is not durable, nor let one user reach another's objects.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KithError } from '../errors.js'
import { duration } from '../time/durations.js'
import { type Decision, MAX_WRITE_BYTES, type SignerCore } from './core.js'
import {
  type SignerStore,
  type VssObject,
  vssDeleteStatement,
  vssPutStatement,
  vssSortStatement,
} from './store.js'
import { verifyVssAuthorization } from './vss-auth.js'
import {
  decodeDeleteObjectRequest,
  decodeGetObjectRequest,
  decodeListKeyVersionsRequest,
  decodePutObjectRequest,
  encodeDeleteObjectResponse,
  encodeErrorResponse,
  encodeGetObjectResponse,
  encodeListKeyVersionsResponse,
  encodePutObjectResponse,
  VSS_ERROR,
  type VssErrorCode,
  type VssKeyValue,
  VssRefusedError,
} from './vss-messages.js'

/** vss-server's base path; a client is given `http://host:port/vss`. */
export const VSS_BASE_PATH = '/vss'
/** The header every answer carries, and its one value (vss-client `PROTOCOL_VERSION`). */
export const VSS_PROTOCOL_VERSION_HEADER = 'vss-protocol-version'
export const VSS_PROTOCOL_VERSION = '0'
/** The object that holds a store's global version (vss-server `GLOBAL_VERSION_KEY`). */
export const VSS_GLOBAL_VERSION_KEY = 'global_version'
/** Most items (puts and deletes) in one PutObjectRequest (`MAX_PUT_REQUEST_ITEM_COUNT`). */
export const VSS_MAX_PUT_ITEMS = 1000
/** Most key versions on one page (`LIST_KEY_VERSIONS_MAX_PAGE_SIZE`). */
export const VSS_MAX_PAGE_SIZE = 100
/** Most bytes of a request body: the values one write may carry (core.ts), and room for the message around them. */
export const VSS_MAX_BODY_BYTES = MAX_WRITE_BYTES + 64 * 1024
/** The longest store_id and key vss-server's table takes (Postgres varchar(120), varchar(600)). */
const MAX_STORE_ID_CHARS = 120
const MAX_KEY_CHARS = 600

const HTTP_STATUS: Record<VssErrorCode, number> = {
  [VSS_ERROR.UNKNOWN]: 500,
  [VSS_ERROR.CONFLICT_EXCEPTION]: 409,
  [VSS_ERROR.INVALID_REQUEST_EXCEPTION]: 400,
  [VSS_ERROR.INTERNAL_SERVER_EXCEPTION]: 500,
  [VSS_ERROR.NO_SUCH_KEY_EXCEPTION]: 404,
  [VSS_ERROR.AUTH_EXCEPTION]: 401,
}

/** What a client is told when the core could not make a write durable (its reason stays in kith's log). */
const NOT_DURABLE_MESSAGE = 'not stored: the backup could not be made durable'
/** vss-server's answer to anything unexpected: nothing of kith's internals goes out. */
const INTERNAL_MESSAGE = 'Unknown Server Error occurred.'
const CONFLICT_MESSAGE = 'Transaction could not be completed due to a possible conflict'

const _invalid = (message: string) => new VssRefusedError(VSS_ERROR.INVALID_REQUEST_EXCEPTION, message)
const _chars = (s: string) => [...s].length

export interface VssServiceOptions {
  readonly core: SignerCore
  /** The clock, in milliseconds since the epoch: what an authorization's time is checked against. */
  readonly now?: () => number
  /** What a request failed on that its client is not told in full (a replication failure, a bug). */
  readonly onError?: (err: unknown) => void
}

type Method = (core: SignerCore, user: string, body: Uint8Array) => Promise<Uint8Array>

/**
 * One request's writes to one (user, store_id), each checked against the store as the writes before it in
 * the request leave it, as vss-server runs them in one Postgres transaction: a write that would change no
 * row is a conflict. New objects take creation orders from the store's next one on.
 */
class _VssBatch {
  private readonly now = new Map<string, VssObject | null>()
  private readonly before = new Map<string, VssObject | undefined>()
  private nextSort: bigint
  private lastSort: bigint | undefined

  constructor(
    private readonly store: SignerStore,
    private readonly user: string,
    private readonly storeId: string,
  ) {
    this.nextSort = store.vssNextSort()
  }

  private _current(key: string): VssObject | undefined {
    if (!this.before.has(key)) this.before.set(key, this.store.vssStored(this.user, this.storeId, key))
    const now = this.now.get(key)
    return now === undefined ? this.before.get(key) : (now ?? undefined)
  }

  private _set(key: string, version: bigint, value: Uint8Array, current: VssObject | undefined): void {
    let sort = current?.sort
    if (sort === undefined) {
      sort = this.nextSort++
      this.lastSort = sort
    }
    this.now.set(key, { key, version, value, sort })
  }

  /** −1: upsert at version 1; 0: insert only; n: update only at n, to n + 1. False: a conflict. */
  put(kv: VssKeyValue): boolean {
    const current = this._current(kv.key)
    if (kv.version === -1n) this._set(kv.key, 1n, kv.value, current)
    else if (kv.version === 0n) {
      if (current !== undefined) return false
      this._set(kv.key, 1n, kv.value, undefined)
    } else {
      if (current?.version !== kv.version) return false
      this._set(kv.key, kv.version + 1n, kv.value, current)
    }
    return true
  }

  /** −1: delete whatever is there; n: only at version n. False: nothing to delete. */
  delete(kv: VssKeyValue): boolean {
    const current = this._current(kv.key)
    if (current === undefined || (kv.version !== -1n && current.version !== kv.version)) return false
    this.now.set(kv.key, null)
    return true
  }

  /** The statements that bring the store to this batch's state. */
  writes(): string[] {
    const out: string[] = []
    for (const [key, now] of this.now) {
      const before = this.before.get(key)
      // a row keeps its creation order when updated; deleted and made again, it is a new row
      if (before !== undefined && (now === null || now.sort !== before.sort))
        out.push(vssDeleteStatement(this.user, this.storeId, key))
      if (now !== null) out.push(vssPutStatement(this.user, this.storeId, now))
    }
    if (this.lastSort !== undefined) out.push(vssSortStatement(this.lastSort))
    return out
  }
}

/** Run a write in the core's turn; what the core throws becomes what a VSS client understands. */
async function _write(core: SignerCore, decide: (store: SignerStore) => Decision<void>): Promise<void> {
  try {
    await core.exclusive(decide)
  } catch (err) {
    if (err instanceof KithError && err.code === 'NOT_DURABLE')
      throw new VssRefusedError(VSS_ERROR.INTERNAL_SERVER_EXCEPTION, NOT_DURABLE_MESSAGE, { cause: err })
    if (err instanceof KithError && err.code === 'BATCH_TOO_LARGE') throw _invalid(err.message)
    throw err
  }
}

const getObject: Method = async (core, user, body) => {
  const req = decodeGetObjectRequest(body)
  const stored = core.store.vssStored(user, req.storeId, req.key)
  if (stored !== undefined)
    return encodeGetObjectResponse({
      value: { key: stored.key, version: stored.version, value: stored.value },
    })
  // a store that never had a global version is at 0 (vss-server answers so, not NO_SUCH_KEY)
  if (req.key === VSS_GLOBAL_VERSION_KEY)
    return encodeGetObjectResponse({ value: { key: req.key, version: 0n, value: new Uint8Array() } })
  throw new VssRefusedError(VSS_ERROR.NO_SUCH_KEY_EXCEPTION, 'Requested key not found.')
}

const putObjects: Method = async (core, user, body) => {
  const req = decodePutObjectRequest(body)
  if (req.transactionItems.length + req.deleteItems.length > VSS_MAX_PUT_ITEMS)
    throw _invalid(`Number of write items per request should be less than equal to ${VSS_MAX_PUT_ITEMS}`)
  // the global version is one more object, written after the items and before the deletes, as upstream
  const puts =
    req.globalVersion === undefined
      ? req.transactionItems
      : [
          ...req.transactionItems,
          { key: VSS_GLOBAL_VERSION_KEY, version: req.globalVersion, value: new Uint8Array() },
        ]
  // vss-server's table cannot hold longer ones (its answer is a 500); refused before they are stored
  if (puts.length > 0 && _chars(req.storeId) > MAX_STORE_ID_CHARS)
    throw _invalid(`store_id is longer than ${MAX_STORE_ID_CHARS} characters`)
  if (req.transactionItems.some((kv) => _chars(kv.key) > MAX_KEY_CHARS))
    throw _invalid(`a key is longer than ${MAX_KEY_CHARS} characters`)
  await _write(core, (store) => {
    const batch = new _VssBatch(store, user, req.storeId)
    for (const kv of puts)
      if (!batch.put(kv)) throw new VssRefusedError(VSS_ERROR.CONFLICT_EXCEPTION, CONFLICT_MESSAGE)
    // a delete that finds nothing is a conflict here, even −1 on a missing key (unlike DeleteObject)
    for (const kv of req.deleteItems)
      if (!batch.delete(kv)) throw new VssRefusedError(VSS_ERROR.CONFLICT_EXCEPTION, CONFLICT_MESSAGE)
    return { writes: batch.writes(), answer: undefined }
  })
  return encodePutObjectResponse()
}

const deleteObject: Method = async (core, user, body) => {
  const req = decodeDeleteObjectRequest(body)
  const kv = req.keyValue
  if (kv === undefined) throw _invalid('key_value missing in DeleteObjectRequest')
  // idempotent: nothing to delete (or another version) is a success that writes nothing
  await _write(core, (store) => {
    const batch = new _VssBatch(store, user, req.storeId)
    return { writes: batch.delete(kv) ? batch.writes() : [], answer: undefined }
  })
  return encodeDeleteObjectResponse()
}

/** vss-server's `decode_page_token`: Rust's i64 parse (optional sign, digits), and not negative. */
function _pageToken(token: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(token)) throw _invalid('Invalid page token')
  const v = BigInt(token)
  if (v < 0n || v >= 2n ** 63n) throw _invalid('Invalid page token')
  return v
}

const listKeyVersions: Method = async (core, user, body) => {
  const req = decodeListKeyVersionsRequest(body)
  // read first, on the first page only: every key version listed was stored at it or later
  const globalVersion =
    req.pageToken === undefined
      ? (core.store.vssStored(user, req.storeId, VSS_GLOBAL_VERSION_KEY)?.version ?? 0n)
      : undefined
  const pageSize = req.pageSize ?? 2 ** 31 - 1
  if (pageSize === 0)
    return encodeListKeyVersionsResponse({ keyVersions: [], nextPageToken: '', globalVersion })
  const before = req.pageToken === undefined ? undefined : _pageToken(req.pageToken)
  // upstream takes −1 as an empty last page and fails below that (Postgres refuses a negative LIMIT):
  // kith refuses every negative size alike, as the invalid request it is
  if (pageSize < 0) throw _invalid('Invalid page size')
  const limit = Math.min(pageSize, VSS_MAX_PAGE_SIZE)
  // one more than the page, to tell whether another page follows
  const rows = core.store.vssList(user, req.storeId, {
    prefix: req.keyPrefix ?? '',
    ...(before === undefined ? {} : { before }),
    limit: limit + 1,
    exclude: VSS_GLOBAL_VERSION_KEY,
  })
  const page = rows.slice(0, limit)
  return encodeListKeyVersionsResponse({
    keyVersions: page.map((o) => ({ key: o.key, version: o.version, value: new Uint8Array() })),
    nextPageToken: rows.length > limit ? String(page[limit - 1]!.sort) : '',
    globalVersion,
  })
}

const METHODS = new Map<string, Method>([
  [`${VSS_BASE_PATH}/getObject`, getObject],
  [`${VSS_BASE_PATH}/putObjects`, putObjects],
  [`${VSS_BASE_PATH}/deleteObject`, deleteObject],
  [`${VSS_BASE_PATH}/listKeyVersions`, listKeyVersions],
])

function _send(res: ServerResponse, status: number, body: Uint8Array, close = false): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, {
    [VSS_PROTOCOL_VERSION_HEADER]: VSS_PROTOCOL_VERSION,
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    ...(close ? { connection: 'close' } : {}),
  })
  res.end(body)
}

/** Every refusal is a protobuf ErrorResponse (vss-server sends some as plain text; its client reads neither). */
function _refuse(
  res: ServerResponse,
  err: VssRefusedError,
  o: { status?: number; close?: boolean } = {},
): void {
  const body = encodeErrorResponse({ errorCode: err.errorCode, message: err.message })
  _send(res, o.status ?? HTTP_STATUS[err.errorCode], body, o.close)
}

/** The body, or undefined once it is larger than `max` (the rest is then read and dropped). */
function _readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) {
      req.resume()
      return resolve(undefined)
    }
    const chunks: Buffer[] = []
    let bytes = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      if (over) return
      bytes += chunk.length
      if (bytes <= max) return chunks.push(chunk)
      over = true
      chunks.length = 0
      resolve(undefined)
    })
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks, bytes))))
    req.on('error', reject)
  })
}

async function _serve(o: VssServiceOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // the path alone, as hyper's `uri().path()`; the method is not checked (vss-server does not)
  const method = METHODS.get((req.url ?? '').split('?', 1)[0]!)
  if (method === undefined) return _refuse(res, _invalid('Invalid request path.'))
  const nowSeconds = Math.floor((o.now ?? Date.now)() / 1000)
  const user = verifyVssAuthorization(req.headers.authorization, nowSeconds)
  const body = await _readBody(req, VSS_MAX_BODY_BYTES)
  // too large: answered without reading on, and the connection closed after it
  if (body === undefined)
    return _refuse(res, _invalid('Request body too large'), { status: 413, close: true })
  let answer: Uint8Array
  try {
    answer = await method(o.core, user, body)
  } catch (err) {
    if (err instanceof KithError && err.code === 'BAD_PROTOBUF') throw _invalid('Error parsing request')
    throw err
  }
  _send(res, 200, answer)
}

/** A node:http request handler that answers the VSS API over `core`. */
export function vssHandler(o: VssServiceOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    _serve(o, req, res).catch((err: unknown) => {
      if (err instanceof VssRefusedError) {
        if (err.cause !== undefined) o.onError?.(err.cause)
        return _refuse(res, err)
      }
      if (req.destroyed && !req.complete) return // the client went away mid-request
      o.onError?.(err)
      _refuse(res, new VssRefusedError(VSS_ERROR.INTERNAL_SERVER_EXCEPTION, INTERNAL_MESSAGE))
    })
  }
}

export interface VssServer {
  readonly port: number
  close(): Promise<void>
}

/** Serve the VSS API over `core` on host:port (0: any free port), plain HTTP/1.1 (TLS is a proxy's). */
export async function serveVss(
  core: SignerCore,
  listen: { host: string; port: number },
  options: Omit<VssServiceOptions, 'core'> = {},
): Promise<VssServer> {
  const server = createServer(vssHandler({ ...options, core }))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // a request in flight gets its answer; idle keep-alive connections go now, the rest after 2 s
        const force = setTimeout(() => server.closeAllConnections(), duration('signerServerClose'))
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        server.closeIdleConnections()
      }),
  }
}
