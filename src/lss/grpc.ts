/**
 * gRPC's unary calls over node:http2, by hand (h2c with prior knowledge, as tonic clients speak to
 * `http://` addresses): a request is POST `/<package>.<Service>/<Method>` with `content-type:
 * application/grpc`, one message framed as 1 flag byte (0: not compressed) and a 4-byte big-endian
 * length; the answer is `:status 200`, one framed message, then trailers with `grpc-status: 0`. A
 * refusal is "trailers only": one header block with `grpc-status` and a percent-encoded `grpc-message`,
 * ending the stream. An unknown method is UNIMPLEMENTED (12). Messages are bounded (tonic's default is
 * 4 MiB, and VLS's client keeps it).
 */
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { KithError } from '../errors.js'

/** gRPC status codes kith answers with. */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

/** Most bytes of one message, either way (tonic's default limit). */
export const GRPC_MAX_MESSAGE = 4 * 1024 * 1024

/** A refusal with a gRPC status: what a handler throws to answer with that status and message. */
export class GrpcStatusError extends KithError {
  readonly code = 'GRPC_STATUS'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, { status })
  }
}

/** One framed message. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length)
  new DataView(out.buffer).setUint32(1, message.length)
  out.set(message, 5)
  return out
}

/** The one message of a unary request's body (refused: compressed, several, cut short, too large). */
export function grpcUnframe(body: Uint8Array): Uint8Array {
  if (body.length < 5) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'a gRPC message is at least 5 bytes')
  if (body[0] !== 0) throw new GrpcStatusError(GRPC.UNIMPLEMENTED, 'compressed messages are not accepted')
  const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1)
  if (n > GRPC_MAX_MESSAGE) throw new GrpcStatusError(GRPC.OUT_OF_RANGE, 'the message is larger than 4 MiB')
  if (body.length !== 5 + n) throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'one message was expected')
  return body.subarray(5)
}

/** What grpc-message may carry: percent-encoded outside printable ASCII (and '%'), as gRPC says. */
export function grpcMessageText(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) =>
    b >= 0x20 && b <= 0x7e && b !== 0x25
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('')
}

export type UnaryHandler = (request: Uint8Array) => Promise<Uint8Array>

export interface GrpcServer {
  readonly port: number
  close(): Promise<void>
}

/**
 * Serve unary methods by path (`/lss.LightningStorage/Put` → handler) on host:port. A handler's
 * GrpcStatusError is answered with its status; anything else is INTERNAL, its text kept out of the
 * answer (`onError` sees it).
 */
export async function serveGrpc(
  methods: ReadonlyMap<string, UnaryHandler>,
  listen: { host: string; port: number },
  onError: (err: unknown) => void = () => {},
): Promise<GrpcServer> {
  const server = http2.createServer()
  server.on('sessionError', onError)
  server.on('stream', (stream, headers) => {
    stream.on('error', onError)
    const refuse = (status: number, message: string) => {
      if (stream.destroyed || stream.closed) return
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(status),
          'grpc-message': grpcMessageText(message),
        },
        { endStream: true },
      )
    }
    const handler = methods.get(String(headers[':path'] ?? ''))
    if (
      headers[':method'] !== 'POST' ||
      !String(headers['content-type'] ?? '').startsWith('application/grpc')
    )
      return refuse(GRPC.INTERNAL, 'a gRPC call is a POST of application/grpc')
    if (handler === undefined) return refuse(GRPC.UNIMPLEMENTED, `no method ${String(headers[':path'])}`)
    const parts: Buffer[] = []
    let size = 0
    stream.on('data', (d: Buffer) => {
      size += d.length
      if (size > GRPC_MAX_MESSAGE + 5) {
        refuse(GRPC.OUT_OF_RANGE, 'the message is larger than 4 MiB')
        stream.close()
        return
      }
      parts.push(d)
    })
    stream.on('end', () => {
      if (size > GRPC_MAX_MESSAGE + 5) return
      void (async () => {
        let reply: Uint8Array
        try {
          reply = await handler(grpcUnframe(new Uint8Array(Buffer.concat(parts))))
        } catch (err) {
          if (err instanceof GrpcStatusError) return refuse(err.status, err.message)
          onError(err)
          return refuse(GRPC.INTERNAL, 'unexpected error')
        }
        if (stream.destroyed || stream.closed) return
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
        // registered before end(): the trailers are what tells the client the call is over
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(GRPC.OK) }))
        stream.end(grpcFrame(reply))
      })()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
