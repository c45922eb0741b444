/**
 * One unary gRPC call as a tonic client makes it (h2c, `te: trailers`), its bytes framed by hand: the
 * reply's bytes and its status, to check what goes over the wire, not what a library makes of it.
 */
import http2 from 'node:http2'

/** One message framed as gRPC frames it: flag 0 (not compressed), a 4-byte big-endian length. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length)
  new DataView(out.buffer).setUint32(1, message.length)
  out.set(message, 5)
  return out
}

/** The one message of a framed body. */
export function grpcUnframe(body: Uint8Array): Uint8Array {
  const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1)
  if (body[0] !== 0 || body.length !== 5 + n) throw new Error('not one uncompressed gRPC message')
  return body.subarray(5)
}

export interface GrpcReply {
  /** The response body as sent: framed messages. */
  readonly data: Buffer
  /** grpc-status, from the trailers or a trailers-only answer ('none' if there was none). */
  readonly status: string
  readonly message?: string
}

export async function grpcCall(port: number, path: string, body: Uint8Array): Promise<GrpcReply> {
  const client = http2.connect(`http://127.0.0.1:${port}`)
  try {
    return await new Promise((resolve, reject) => {
      const req = client.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
      })
      const chunks: Buffer[] = []
      let status: string | undefined
      let message: string | undefined
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] === undefined) return
        status = String(h['grpc-status'])
        message = h['grpc-message'] as string | undefined
      }
      req.on('response', take)
      req.on('trailers', take)
      req.on('data', (d: Buffer) => chunks.push(d))
      req.on('end', () =>
        resolve({ data: Buffer.concat(chunks), status: status ?? 'none', ...(message ? { message } : {}) }),
      )
      req.on('error', reject)
      req.end(body)
    })
  } finally {
    client.close()
  }
}
