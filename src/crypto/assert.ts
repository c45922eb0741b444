/**
 * Argument checks used once, at module boundaries. Each returns the value it checked and names the
 * argument: TypeError for a wrong type, RangeError for a bad bound. Never echo a secret value back.
 */

/** A Uint8Array, optionally of an exact length. */
export function assertBytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  // a fixed-size key or id of the wrong length is a caller bug, not a format error
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
  }
  return value
}

/** A safe integer in [min, max]. */
export function assertInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be an integer`)
  }
  // bounds are inclusive on both ends
  if (value < min || value > max) throw new RangeError(`${name} must be in ${min}..${max}, got ${value}`)
  return value
}
