/**
 * A VSS client as lightningdevkit/vss-client writes it (`src/client.rs` VssClient, `src/error.rs` VssError,
 * `src/headers/sigs_auth.rs` SigsAuthProvider), over node:http: POST `<base_url>/<method>` with
 * `content-type: application/octet-stream` and the header provider's headers; the answer's
 * `vss-protocol-version` checked before anything else; a 2xx body decoded as the response (a GetObject
 * answer without a value is an API violation), any other as an ErrorResponse mapped to its kind (an
 * undecodable one is InternalError). Not ported: the retry policy (the caller's choice; tests want the
 * first answer) and bitreq's pipelining. The sigs-auth header is made here on its own, not by kith's code.
 */
import { Agent, request } from 'node:http'
import * as secp from '@noble/secp256k1'
import { sha256 } from '../../src/crypto/hash.js'
import {
  type DeleteObjectRequest,
  decodeDeleteObjectResponse,
  decodeErrorResponse,
  decodeGetObjectResponse,
  decodeListKeyVersionsResponse,
  decodePutObjectResponse,
  encodeDeleteObjectRequest,
  encodeGetObjectRequest,
  encodeListKeyVersionsRequest,
  encodePutObjectRequest,
  type GetObjectRequest,
  type ListKeyVersionsRequest,
  type ListKeyVersionsResponse,
  type PutObjectRequest,
  type VssKeyValue,
} from '../../src/lss/vss-messages.js'

/** VssError's kinds. */
export type VssErrorKind =
  | 'NoSuchKeyError'
  | 'InvalidRequestError'
  | 'ConflictError'
  | 'AuthError'
  | 'InternalServerError'
  | 'InternalError'
  | 'VSSVersionMismatchError'

export class VssClientError extends Error {
  constructor(
    readonly kind: VssErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(`${kind}: ${message}`)
  }
}

/** `From<ErrorResponse> for VssError`: by the code, whatever the HTTP status. */
const KIND_OF_CODE: Record<number, VssErrorKind> = {
  4: 'NoSuchKeyError',
  2: 'InvalidRequestError',
  1: 'ConflictError',
  5: 'AuthError',
  3: 'InternalServerError',
}

const SIGNING_CONSTANT = new TextEncoder().encode(
  'VSS Signature Authorizer Signing Salt Constant..................',
)

/** sigs_auth.rs `build_token`: hex(pubkey) || hex(compact sig) || now, the sig over SHA-256(constant || pubkey || now). */
export async function sigsAuthToken(secretKey: Uint8Array, nowSeconds: number): Promise<string> {
  const pubkey = secp.getPublicKey(secretKey, true)
  const now = String(nowSeconds)
  const hash = sha256(SIGNING_CONSTANT, pubkey, new TextEncoder().encode(now))
  // libsecp256k1's sign_ecdsa: RFC 6979 nonce without extra entropy, low-S; noble's defaults
  const sig = await secp.signAsync(hash, secretKey, { prehash: false })
  return Buffer.from(pubkey).toString('hex') + Buffer.from(sig).toString('hex') + now
}

export type HeaderProvider = (body: Uint8Array) => Promise<Record<string, string>>

/** SigsAuthProvider: the default headers, and a fresh `Authorization` for every request. */
export function sigsAuthProvider(
  secretKey: Uint8Array,
  defaultHeaders: Record<string, string> = {},
  nowMs: () => number = Date.now,
): HeaderProvider {
  return async () => ({
    ...defaultHeaders,
    Authorization: await sigsAuthToken(secretKey, Math.floor(nowMs() / 1000)),
  })
}

export interface RawAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Uint8Array
}

export class VssClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 10 })

  constructor(
    readonly baseUrl: string,
    private readonly headerProvider: HeaderProvider = async () => ({}),
  ) {}

  close(): void {
    this.agent.destroy()
  }

  async getObject(r: GetObjectRequest): Promise<VssKeyValue> {
    const bytes = await this._post('getObject', encodeGetObjectRequest(r))
    const response = decodeGetObjectResponse(bytes)
    if (response.value === undefined)
      throw new VssClientError(
        'InternalServerError',
        'VSS Server API Violation, expected value in GetObjectResponse but found none',
      )
    return response.value
  }

  async putObject(r: PutObjectRequest): Promise<void> {
    decodePutObjectResponse(await this._post('putObjects', encodePutObjectRequest(r)))
  }

  async deleteObject(r: DeleteObjectRequest): Promise<void> {
    decodeDeleteObjectResponse(await this._post('deleteObject', encodeDeleteObjectRequest(r)))
  }

  async listKeyVersions(r: ListKeyVersionsRequest): Promise<ListKeyVersionsResponse> {
    return decodeListKeyVersionsResponse(await this._post('listKeyVersions', encodeListKeyVersionsRequest(r)))
  }

  /** `post_request`: the version header first, then the status; errors as VssError. */
  private async _post(method: string, body: Uint8Array): Promise<Uint8Array> {
    const headers = await this.headerProvider(body)
    let answer: RawAnswer
    try {
      answer = await this.raw(`${this.baseUrl}/${method}`, body, {
        'content-type': 'application/octet-stream',
        ...headers,
      })
    } catch (err) {
      throw new VssClientError('InternalError', (err as Error).message)
    }
    const version = answer.headers['vss-protocol-version']
    if (version !== '0')
      throw new VssClientError(
        'VSSVersionMismatchError',
        version === undefined
          ? 'The server did not set the `vss-protocol-version` header'
          : `the server serves version ${String(version)}, client expects 0`,
        answer.status,
      )
    if (answer.status >= 200 && answer.status < 300) return answer.body
    let error: { errorCode: number; message: string }
    try {
      error = decodeErrorResponse(answer.body)
    } catch (err) {
      throw new VssClientError(
        'InternalError',
        `Unable to decode ErrorResponse from server, HttpStatusCode: ${answer.status}, DecodeErr: ${(err as Error).message}`,
        answer.status,
      )
    }
    const kind = KIND_OF_CODE[error.errorCode]
    if (kind === undefined)
      throw new VssClientError(
        'InternalError',
        `VSS responded with an unknown error code: ${error.errorCode}, message: ${error.message}`,
        answer.status,
      )
    throw new VssClientError(kind, error.message, answer.status)
  }

  /** One POST as given (for an attacker's requests): the answer as it came. */
  raw(
    url: string,
    body: Uint8Array,
    headers: Record<string, string | number>,
    o: { method?: string; chunked?: boolean } = {},
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: o.method ?? 'POST',
          agent: this.agent,
          headers: o.chunked ? headers : { 'content-length': body.length, ...headers },
          // a quiet socket this long is a hang; a large write held by W guardians on a loaded machine is not
          timeout: 120_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: new Uint8Array(Buffer.concat(chunks)),
            }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', reject)
      req.end(body)
    })
  }
}
