/**
 * A gRPC server of unary methods (@grpc/grpc-js, h2c on a local address, as a tonic client speaks to an
 * `http://` one). Each method is a handler of the request's bytes; the bytes go through as they came, so
 * the handler decodes them (protobufjs) and a message that is not one is its INVALID_ARGUMENT, not the
 * library's INTERNAL. A handler's GrpcStatusError is answered with its status and text; anything else
 * is INTERNAL, its text kept out of the answer. Messages are bounded at 4 MiB either way (tonic's default,
 * which VLS's client keeps).
 */
import * as grpc from '@grpc/grpc-js'
import { KithError } from '../errors.js'
import { duration } from '../time/durations.js'

/** gRPC status codes kith answers with. */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
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

export type UnaryHandler = (request: Uint8Array) => Promise<Uint8Array>

export interface GrpcServer {
  readonly port: number
  close(): Promise<void>
}

const passBytes = {
  requestSerialize: (b: Uint8Array) => Buffer.from(b),
  requestDeserialize: (b: Buffer) => new Uint8Array(b),
  responseSerialize: (b: Uint8Array) => Buffer.from(b),
  responseDeserialize: (b: Buffer) => new Uint8Array(b),
}

/**
 * Serve `service`'s unary methods (`Put` → handler) on host:port (0: any free port). `onError` sees
 * what a handler threw that was not a GrpcStatusError.
 */
export async function serveGrpc(
  service: string,
  methods: ReadonlyMap<string, UnaryHandler>,
  listen: { host: string; port: number },
  onError: (err: unknown) => void = () => {},
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': GRPC_MAX_MESSAGE,
    'grpc.max_send_message_length': GRPC_MAX_MESSAGE,
  })
  const definition: Record<string, grpc.MethodDefinition<Uint8Array, Uint8Array>> = {}
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const [name, handler] of methods) {
    definition[name] = {
      path: `/${service}/${name}`,
      requestStream: false,
      responseStream: false,
      originalName: name,
      ...passBytes,
    }
    implementation[name] = (
      call: grpc.ServerUnaryCall<Uint8Array, Uint8Array>,
      done: grpc.sendUnaryData<Uint8Array>,
    ) => {
      handler(call.request).then(
        (reply) => done(null, reply),
        (err: unknown) => {
          if (err instanceof GrpcStatusError) return done({ code: err.status, details: err.message })
          if (err instanceof KithError && err.code === 'BAD_PROTOBUF')
            return done({ code: GRPC.INVALID_ARGUMENT, details: err.message })
          onError(err)
          done({ code: GRPC.INTERNAL, details: 'unexpected error' })
        },
      )
    }
  }
  server.addService(definition, implementation)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    ),
  )
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), duration('signerServerClose'))
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      }),
  }
}
