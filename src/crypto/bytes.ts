/**
 * Byte helpers the formats share: concatenation, constant-time equality, big-endian integers, hex.
 * Must never compare secrets with a short-circuiting loop.
 */
import { timingSafeEqual } from 'node:crypto'

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Constant-time for equal lengths; lengths themselves are not secret. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** u64 big-endian; kith keeps integers below 2^53 so they stay exact JS numbers. */
export function u64be(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 value out of range: ${value}`)
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(value))
  return out
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')
}

/**
 * Give the memory of `bytes` back at once, when it is the whole of its buffer but at most `slack` bytes
 * (a view of a larger one is left alone): its buffer is detached, and every view of it reads as empty
 * from then on. For large buffers known to be dead: V8 frees those only at a full collection, which
 * waits for some 64 MiB of them to pile up per thread.
 */
export function releaseBytes(bytes: Uint8Array, slack = 0): void {
  const buffer = bytes.buffer
  if (buffer instanceof ArrayBuffer && buffer.byteLength - bytes.byteLength <= slack)
    buffer.transferToFixedLength(0)
}
