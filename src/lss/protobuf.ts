/**
 * The little of protobuf (proto3 wire format) that LSS and VSS need, by hand: varints (int64 negative
 * as ten bytes, as protoc writes them), length-delimited bytes, strings and messages, repeated fields,
 * and skipping fields it does not know, as every protobuf reader must. Proto3 defaults (0, "", empty)
 * are not written; a field kept `optional` in its .proto is written whenever it is present.
 */
import { KithError } from '../errors.js'

export class ProtobufError extends KithError {
  readonly code = 'BAD_PROTOBUF'
  constructor(reason: string) {
    super(`not a valid protobuf message: ${reason}`, { reason })
  }
}

const VARINT = 0
const I64 = 1
const LEN = 2
const I32 = 5

/** Append-only writer. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = []
  private size = 0

  private _push(b: Uint8Array): void {
    this.parts.push(b)
    this.size += b.length
  }

  private _varint(v: bigint): void {
    // int64 and bool as protoc: a negative value is its two's complement in 64 bits, ten bytes
    let x = BigInt.asUintN(64, v)
    const out: number[] = []
    do {
      let byte = Number(x & 0x7fn)
      x >>= 7n
      if (x !== 0n) byte |= 0x80
      out.push(byte)
    } while (x !== 0n)
    this._push(Uint8Array.from(out))
  }

  private _tag(field: number, wire: number): void {
    this._varint(BigInt((field << 3) | wire))
  }

  /** An int64 (or int32, uint, enum) field; 0 is the default and is skipped unless `always`. */
  int(field: number, value: number | bigint, always = false): this {
    const v = BigInt(value)
    if (v === 0n && !always) return this
    this._tag(field, VARINT)
    this._varint(v)
    return this
  }

  bool(field: number, value: boolean): this {
    return value ? this.int(field, 1) : this
  }

  bytes(field: number, value: Uint8Array | undefined, always = false): this {
    if (value === undefined || (value.length === 0 && !always)) return this
    this._tag(field, LEN)
    this._varint(BigInt(value.length))
    this._push(value)
    return this
  }

  string(field: number, value: string | undefined, always = false): this {
    return value === undefined ? this : this.bytes(field, new TextEncoder().encode(value), always)
  }

  /** An embedded message (written even when empty: a present message is not a default). */
  message(field: number, value: Uint8Array): this {
    return this.bytes(field, value, true)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size)
    let at = 0
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}

/** One decoded field: a varint's value, or a length-delimited field's bytes. */
export type ProtoField =
  | { readonly field: number; readonly varint: bigint }
  | { readonly field: number; readonly bytes: Uint8Array }

/** Read every field of a message in order; fixed-width fields it does not need are skipped. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = []
  let at = 0
  const varint = (): bigint => {
    let x = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length) throw new ProtobufError('a varint runs past the end')
      if (shift > 63n) throw new ProtobufError('a varint is longer than ten bytes')
      const b = buf[at++]!
      x |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return BigInt.asUintN(64, x)
    }
  }
  while (at < buf.length) {
    const key = varint()
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (field === 0) throw new ProtobufError('field number 0')
    if (wire === VARINT) out.push({ field, varint: varint() })
    else if (wire === LEN) {
      const n = varint()
      if (n > BigInt(buf.length - at)) throw new ProtobufError(`field ${field} runs past the end`)
      out.push({ field, bytes: buf.subarray(at, at + Number(n)) })
      at += Number(n)
    } else if (wire === I64 || wire === I32) {
      at += wire === I64 ? 8 : 4
      if (at > buf.length) throw new ProtobufError(`field ${field} runs past the end`)
    } else throw new ProtobufError(`wire type ${wire} of field ${field}`)
  }
  return out
}

/** The signed 64-bit value of a varint (an int64 field). */
export const asInt64 = (v: bigint): bigint => BigInt.asIntN(64, v)

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** A string field's text (refused if it is not UTF-8, as proto3 strings must be). */
export function asString(bytes: Uint8Array, field: string): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new ProtobufError(`${field} is not UTF-8`)
  }
}
