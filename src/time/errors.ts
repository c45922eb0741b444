/** Errors of time: a KITH_DURATIONS that does not say what it means. */
import { KithError } from '../errors.js'

/** KITH_DURATIONS names a duration kith does not wait on, or gives one a value it cannot use. */
export class DurationsError extends KithError {
  readonly code = 'BAD_DURATIONS'
  constructor(entry: string, reason: string) {
    // the entry is the user's own text: bounded before it becomes a fact
    super(`KITH_DURATIONS: ${reason}`, { entry: entry.slice(0, 64) })
  }
}
