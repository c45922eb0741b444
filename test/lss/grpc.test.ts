/**
 * kith's gRPC server (@grpc/grpc-js), seen from a client that speaks as tonic does (h2c with prior
 * knowledge, `te: trailers`, framing by hand): one framed reply ended by grpc-status 0 in the trailers,
 * refusals with the handler's status and a percent-encoded message, an unknown method, a message over
 * 4 MiB, bytes that are not the method's message, a handler's failure kept out of the answer. A real
 * HTTP/2 connection on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRPC, type GrpcServer, GrpcStatusError, serveGrpc } from '../../src/lss/grpc.js'
import { ProtobufError } from '../../src/lss/proto-errors.js'
import { grpcCall, grpcFrame } from '../helpers/grpc.js'

let server: GrpcServer
const errors: unknown[] = []

/** A call, its grpc-message percent-decoded as tonic decodes it. */
const call = async (path: string, body: Uint8Array) => {
  const r = await grpcCall(server.port, path, body)
  return r.message === undefined ? r : { ...r, message: decodeURIComponent(r.message) }
}

beforeAll(async () => {
  server = await serveGrpc(
    'test.Echo',
    new Map([
      ['Echo', async (m: Uint8Array) => Uint8Array.from(m).reverse()],
      [
        'Refuse',
        async () => {
          throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid auth token: é%')
        },
      ],
      [
        'Garbled',
        async () => {
          throw new ProtobufError('index out of range')
        },
      ],
      [
        'Break',
        async () => {
          throw new Error('a secret path /home/x')
        },
      ],
    ]),
    { host: '127.0.0.1', port: 0 },
    (err) => errors.push(err),
  )
})
afterAll(() => server.close())

describe('gRPC unary calls (@grpc/grpc-js) as a tonic client sees them', () => {
  it('answers one framed message and ends the call with grpc-status 0 in the trailers', async () => {
    const r = await call('/test.Echo/Echo', grpcFrame(Uint8Array.of(1, 2, 3)))
    expect(r.status).toBe('0')
    expect([...r.data]).toEqual([0, 0, 0, 0, 3, 3, 2, 1])
    const empty = await call('/test.Echo/Echo', grpcFrame(new Uint8Array()))
    expect([...empty.data]).toEqual([0, 0, 0, 0, 0])
  })

  it("refuses with the handler's status and a percent-encoded message, and no message", async () => {
    const r = await call('/test.Echo/Refuse', grpcFrame(Uint8Array.of(1)))
    expect(r).toMatchObject({ status: '3', message: 'invalid auth token: é%' })
    expect(r.data.length).toBe(0)
    expect(await call('/test.Echo/Garbled', grpcFrame(Uint8Array.of(1)))).toMatchObject({ status: '3' })
  })

  it('an unknown method is UNIMPLEMENTED; a failing handler is INTERNAL and its text stays out of the answer', async () => {
    expect((await call('/test.Echo/Nope', grpcFrame(new Uint8Array()))).status).toBe('12')
    const r = await call('/test.Echo/Break', grpcFrame(new Uint8Array()))
    expect(r).toMatchObject({ status: '13', message: 'unexpected error' })
    expect(errors.some((e) => String(e).includes('a secret path'))).toBe(true)
  })

  it('refuses a message over 4 MiB', async () => {
    expect((await call('/test.Echo/Echo', grpcFrame(new Uint8Array(4 * 1024 * 1024 + 1)))).status).toBe(
      String(GRPC.RESOURCE_EXHAUSTED),
    )
  })
})
