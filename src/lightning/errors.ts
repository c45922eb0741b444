/** Errors of reading a Lightning node's files (src/lightning/). Messages name the file and why, never its contents. */
import { KithError } from '../errors.js'

/**
 * A file given as a source of one kind that cannot be that kind (too short, text, not SQLite, no schema
 * version, …): refused before anything is backed up or restored. `source` names the file as the operator
 * knows it (a source name or a path), `what` what it had to be; one line: "<source> is not <what>: <reason>".
 */
export class SourceMismatchError extends KithError {
  readonly code = 'SOURCE_MISMATCH'
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly what = 'what its source kind needs',
  ) {
    super(`${source} is not ${what}: ${reason}`, { source, what, reason })
  }
}
