/**
 * Where kith's randomness comes from: the system CSPRNG, always, in every path that runs for real.
 * Functions that draw randomness take a `RandomBytes` last so the golden vectors can fix it; nothing
 * but a test may pass one.
 */
import { randomBytes } from 'node:crypto'

export type RandomBytes = (length: number) => Uint8Array

export const systemRandom: RandomBytes = (length) => new Uint8Array(randomBytes(length))
