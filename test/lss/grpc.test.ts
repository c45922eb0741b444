/**
 * gRPC unary calls on node:http2, seen from a client that speaks as tonic does (h2c with prior
 * knowledge, `te: trailers`): framing, the trailers that end a call, trailers-only refusals, an unknown
 * method, a message over 4 MiB, a handler's failure kept out of the answer. A real HTTP/2 connection on
 * 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  GRPC,
  type GrpcServer,
  GrpcStatusError,
  grpcFrame,
  grpcMessageText,
  serveGrpc,
} from '../../src/lss/grpc.js'
import { grpcCall } from '../helpers/grpc.js'

let server: GrpcServer
const errors: unknown[] = []

const call = (path: string, body: Uint8Array) => grpcCall(server.port, path, body)

beforeAll(async () => {
  server = await serveGrpc(
    new Map([
      ['/test.Echo/Echo', async (m: Uint8Array) => Uint8Array.from(m).reverse()],
      [
        '/test.Echo/Refuse',
        async () => {
          throw new GrpcStatusError(GRPC.INVALID_ARGUMENT, 'invalid auth token: é%')
        },
      ],
      [
        '/test.Echo/Break',
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

describe('gRPC unary calls on node:http2', () => {
  it('answers one framed message and ends the call with grpc-status 0 in the trailers', async () => {
    const r = await call('/test.Echo/Echo', grpcFrame(Uint8Array.of(1, 2, 3)))
    expect(r.status).toBe('0')
    expect([...r.data]).toEqual([0, 0, 0, 0, 3, 3, 2, 1])
    const empty = await call('/test.Echo/Echo', grpcFrame(new Uint8Array()))
    expect([...empty.data]).toEqual([0, 0, 0, 0, 0])
  })

  it("refuses trailers-only, with the handler's status and a percent-encoded message", async () => {
    const r = await call('/test.Echo/Refuse', grpcFrame(Uint8Array.of(1)))
    expect(r).toMatchObject({ status: '3', message: 'invalid auth token: %C3%A9%25' })
    expect(r.data.length).toBe(0)
    expect(grpcMessageText('a\nb')).toBe('a%0Ab')
  })

  it('an unknown method is UNIMPLEMENTED; a failing handler is INTERNAL and its text stays out of the answer', async () => {
    expect((await call('/test.Echo/Nope', grpcFrame(new Uint8Array()))).status).toBe('12')
    const r = await call('/test.Echo/Break', grpcFrame(new Uint8Array()))
    expect(r).toMatchObject({ status: '13', message: 'unexpected error' })
    expect(errors.some((e) => String(e).includes('a secret path'))).toBe(true)
  })

  it('refuses a message over 4 MiB, a compressed one and a body that is not one message', async () => {
    expect((await call('/test.Echo/Echo', grpcFrame(new Uint8Array(4 * 1024 * 1024 + 1)))).status).toBe('11')
    expect((await call('/test.Echo/Echo', Uint8Array.of(1, 0, 0, 0, 0))).status).toBe('12')
    expect((await call('/test.Echo/Echo', Uint8Array.of(0, 0, 0, 0, 2, 1))).status).toBe('3')
  })
})
