/** Errors of the record codec. Each names the record type and a bounded reason, never field contents. */
import { KithError } from '../errors.js'

/** Why a record was refused; a closed set so it is safe to log and count. */
export type MalformedReason =
  | 'truncated'
  | 'magic'
  | 'wrong-kind'
  | 'duplicate-field'
  | 'field-order'
  | 'unknown-field'
  | 'field-length'
  | 'missing-field'
  | 'value'
  | 'trailing'

export class MalformedRecordError extends KithError {
  readonly code = 'MALFORMED_RECORD'
  constructor(
    readonly record: string,
    readonly reason: MalformedReason,
    field?: string,
  ) {
    super(`malformed ${record}: ${reason}${field ? ` (${field})` : ''}`, {
      record,
      reason,
      field: field ?? '',
    })
  }
}

/** A record whose format version this build of kith does not know. */
export class UnsupportedFormatError extends KithError {
  readonly code = 'UNSUPPORTED_FORMAT'
  constructor(record: string, version: number) {
    super(`${record} has format version ${version}, which this kith does not support; upgrade kith`, {
      record,
      version,
    })
  }
}

/** A record larger than its type allows, refused before anything is parsed or copied. */
export class RecordTooLargeError extends KithError {
  readonly code = 'RECORD_TOO_LARGE'
  constructor(record: string, size: number, max: number) {
    super(`${record} is ${size} bytes, over the ${max}-byte limit`, { record, size, max })
  }
}

/** A signature that does not verify under the key the record must be signed by. */
export class BadSignatureError extends KithError {
  readonly code = 'BAD_SIGNATURE'
  constructor(record: string) {
    super(`the ${record} signature does not verify: it was altered or signed by another key`, { record })
  }
}
