/** A signer storage client's bytes that are not a message of the type its method takes. */
import { KithError } from '../errors.js'

export class ProtobufError extends KithError {
  readonly code = 'BAD_PROTOBUF'
  constructor(reason: string) {
    super(`not a valid protobuf message: ${reason}`, { reason })
  }
}
