/** One unary gRPC call as a tonic client makes it (h2c, `te: trailers`): the reply's bytes and its status. */
import http2 from 'node:http2'

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
