/** Errors of journals. Facts name positions and journals, never payloads or keys. */
import { KithError } from '../errors.js'

/** An entry whose signature, hash chain or position does not hold. */
export class BadEntryError extends KithError {
  readonly code = 'BAD_ENTRY'
  constructor(position: number, what: 'signature' | 'chain' | 'position' | 'journal' | 'writer') {
    super(`journal entry ${position} is refused: its ${what} does not hold`, { position, what })
  }
}
