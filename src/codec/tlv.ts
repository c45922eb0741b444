/**
 * Canonical TLV field streams (docs/format.md §TLV): tag(u8) || length(u32 BE) || value, tags strictly
 * increasing, so decode-then-encode gives the same bytes. A length is checked against its field's cap
 * before the value is touched; unknown, duplicate and out-of-order tags are refused.
 */
import { MalformedRecordError } from './errors.js'

interface FieldBase {
  readonly tag: number
  readonly name: string
  readonly optional?: boolean
}

export type FieldSpec = FieldBase &
  (
    | { readonly type: 'bytes'; readonly length: number }
    | { readonly type: 'varbytes'; readonly max: number }
    | { readonly type: 'u8' | 'u16' | 'u32' | 'u64'; readonly min?: number; readonly max?: number }
    | { readonly type: 'utf8'; readonly max: number }
    | { readonly type: 'utf8list'; readonly max: number; readonly maxItems: number }
    | {
        readonly type: 'packed'
        readonly stride: number
        readonly maxItems: number
        /** Items must strictly increase by their first `sortKey` bytes (sorted and unique). */
        readonly sortKey?: number
      }
    | {
        readonly type: 'list'
        readonly item: Schema
        readonly maxItems: number
        readonly maxItemBytes: number
      }
  )

/** A record's (or a list item's) fields, in increasing tag order. */
export interface Schema {
  readonly record: string
  readonly fields: readonly FieldSpec[]
}

export type FieldValue =
  | Uint8Array
  | number
  | string
  | readonly string[]
  | readonly Uint8Array[]
  | readonly Fields[]
export type Fields = { readonly [name: string]: FieldValue | undefined }

const INT_WIDTH = { u8: 1, u16: 2, u32: 4, u64: 8 } as const
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Define a schema, checking once that its tags increase and fit in a byte. */
export function defineSchema(record: string, fields: readonly FieldSpec[]): Schema {
  let prev = -1
  for (const f of fields) {
    // tags are one byte and strictly increasing, which is what makes the encoding canonical
    if (!Number.isInteger(f.tag) || f.tag <= prev || f.tag > 0xff)
      throw new RangeError(`${record}: bad tag ${f.tag}`)
    prev = f.tag
  }
  return { record, fields }
}

function _maxValueLength(f: FieldSpec): number {
  switch (f.type) {
    case 'bytes':
      return f.length
    case 'varbytes':
    case 'utf8':
      return f.max
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      return INT_WIDTH[f.type]
    case 'utf8list':
      return f.maxItems * (2 + f.max)
    case 'packed':
      return f.maxItems * f.stride
    case 'list':
      return f.maxItems * (4 + f.maxItemBytes)
  }
}

function _compareKey(a: Uint8Array, b: Uint8Array, length: number): number {
  return Buffer.compare(a.subarray(0, length), b.subarray(0, length))
}

// ---- encoding ----

class Writer {
  private parts: Uint8Array[] = []
  length = 0
  push(bytes: Uint8Array): void {
    this.parts.push(bytes)
    this.length += bytes.length
  }
  u8(v: number): void {
    this.push(Uint8Array.of(v))
  }
  u16(v: number): void {
    this.push(Uint8Array.of(v >>> 8, v & 0xff))
  }
  u32(v: number): void {
    this.push(Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff))
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

function _encodeInt(f: FieldSpec & { type: 'u8' | 'u16' | 'u32' | 'u64' }, v: unknown): Uint8Array {
  if (
    typeof v !== 'number' ||
    !Number.isSafeInteger(v) ||
    v < (f.min ?? 0) ||
    v > (f.max ?? Number.MAX_SAFE_INTEGER)
  ) {
    throw new RangeError(`${f.name} out of range`)
  }
  const width = INT_WIDTH[f.type]
  if (width < 8 && v >= 2 ** (8 * width)) throw new RangeError(`${f.name} out of range`)
  const out = new Uint8Array(width)
  const view = new DataView(out.buffer)
  if (width === 8) view.setBigUint64(0, BigInt(v))
  else if (width === 4) view.setUint32(0, v)
  else if (width === 2) view.setUint16(0, v)
  else view.setUint8(0, v)
  return out
}

function _encodeValue(f: FieldSpec, v: FieldValue): Uint8Array {
  const bad = () => new TypeError(`${f.name} has the wrong type or size`)
  switch (f.type) {
    case 'bytes':
      if (!(v instanceof Uint8Array) || v.length !== f.length) throw bad()
      return v
    case 'varbytes':
      if (!(v instanceof Uint8Array) || v.length > f.max) throw bad()
      return v
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      return _encodeInt(f, v)
    case 'utf8': {
      if (typeof v !== 'string') throw bad()
      const b = utf8.encode(v)
      if (b.length > f.max) throw bad()
      return b
    }
    case 'utf8list': {
      if (!Array.isArray(v) || v.length > f.maxItems) throw bad()
      const w = new Writer()
      for (const s of v) {
        if (typeof s !== 'string') throw bad()
        const b = utf8.encode(s)
        if (b.length > f.max) throw bad()
        w.u16(b.length)
        w.push(b)
      }
      return w.finish()
    }
    case 'packed': {
      if (!Array.isArray(v) || v.length > f.maxItems) throw bad()
      const w = new Writer()
      for (let i = 0; i < v.length; i++) {
        const item = v[i]
        if (!(item instanceof Uint8Array) || item.length !== f.stride) throw bad()
        if (f.sortKey !== undefined && i > 0 && _compareKey(v[i - 1] as Uint8Array, item, f.sortKey) >= 0) {
          throw new RangeError(`${f.name} must be sorted and unique`)
        }
        w.push(item)
      }
      return w.finish()
    }
    case 'list': {
      if (!Array.isArray(v) || v.length > f.maxItems) throw bad()
      const w = new Writer()
      for (const item of v as readonly Fields[]) {
        const b = encodeFields(f.item, item)
        if (b.length > f.maxItemBytes) throw bad()
        w.u32(b.length)
        w.push(b)
      }
      return w.finish()
    }
  }
}

/** Encode `values` as a canonical TLV stream under `schema`. Wrong types or sizes are caller bugs. */
export function encodeFields(schema: Schema, values: Fields): Uint8Array {
  const w = new Writer()
  for (const f of schema.fields) {
    const v = values[f.name]
    if (v === undefined) {
      if (f.optional) continue
      throw new TypeError(`${schema.record}.${f.name} is required`)
    }
    const value = _encodeValue(f, v)
    w.u8(f.tag)
    w.u32(value.length)
    w.push(value)
  }
  return w.finish()
}

// ---- decoding ----

function _decodeValue(schema: Schema, f: FieldSpec, b: Uint8Array): FieldValue {
  const err = (reason: 'field-length' | 'value' | 'truncated') =>
    new MalformedRecordError(schema.record, reason, f.name)
  const view = new DataView(b.buffer, b.byteOffset, b.length)
  switch (f.type) {
    case 'bytes':
      if (b.length !== f.length) throw err('field-length')
      return b
    case 'varbytes':
      return b
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      if (b.length !== INT_WIDTH[f.type]) throw err('field-length')
      let v: number
      if (f.type === 'u64') {
        const big = view.getBigUint64(0)
        // kith keeps integers exact in JS numbers; larger values are refused, not rounded
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw err('value')
        v = Number(big)
      } else
        v = f.type === 'u32' ? view.getUint32(0) : f.type === 'u16' ? view.getUint16(0) : view.getUint8(0)
      if (v < (f.min ?? 0) || v > (f.max ?? Number.MAX_SAFE_INTEGER)) throw err('value')
      return v
    }
    case 'utf8':
      try {
        return strictUtf8.decode(b)
      } catch {
        throw err('value')
      }
    case 'utf8list': {
      const out: string[] = []
      for (let p = 0; p < b.length; ) {
        if (b.length - p < 2) throw err('truncated')
        const len = view.getUint16(p)
        p += 2
        if (len > f.max) throw err('field-length')
        if (p + len > b.length) throw err('truncated')
        if (out.length === f.maxItems) throw err('field-length')
        try {
          out.push(strictUtf8.decode(b.subarray(p, p + len)))
        } catch {
          throw err('value')
        }
        p += len
      }
      return out
    }
    case 'packed': {
      if (b.length % f.stride !== 0) throw err('field-length')
      const out: Uint8Array[] = []
      for (let p = 0; p < b.length; p += f.stride) {
        const item = b.subarray(p, p + f.stride)
        if (
          f.sortKey !== undefined &&
          out.length > 0 &&
          _compareKey(out[out.length - 1]!, item, f.sortKey) >= 0
        ) {
          throw err('value')
        }
        out.push(item)
      }
      return out
    }
    case 'list': {
      const out: Fields[] = []
      for (let p = 0; p < b.length; ) {
        if (b.length - p < 4) throw err('truncated')
        const len = view.getUint32(p)
        p += 4
        if (len > f.maxItemBytes) throw err('field-length')
        if (p + len > b.length) throw err('truncated')
        if (out.length === f.maxItems) throw err('field-length')
        out.push(decodeFields(f.item, b.subarray(p, p + len)))
        p += len
      }
      return out
    }
  }
}

/** Decode a whole TLV stream under `schema`; every byte must belong to a known field. */
export function decodeFields(schema: Schema, bytes: Uint8Array): Fields {
  const byTag = new Map(schema.fields.map((f) => [f.tag, f]))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const out: Record<string, FieldValue> = {}
  let prevTag = -1
  let pos = 0
  while (pos < bytes.length) {
    if (bytes.length - pos < 5) throw new MalformedRecordError(schema.record, 'truncated')
    const tag = bytes[pos]!
    const len = view.getUint32(pos + 1)
    pos += 5
    if (tag === prevTag)
      throw new MalformedRecordError(schema.record, 'duplicate-field', byTag.get(tag)?.name)
    if (tag < prevTag) throw new MalformedRecordError(schema.record, 'field-order', byTag.get(tag)?.name)
    const f = byTag.get(tag)
    if (f === undefined) throw new MalformedRecordError(schema.record, 'unknown-field', `tag ${tag}`)
    // the cap is checked on the declared length, before the value is sliced or parsed
    if (len > _maxValueLength(f)) throw new MalformedRecordError(schema.record, 'field-length', f.name)
    if (len > bytes.length - pos) throw new MalformedRecordError(schema.record, 'truncated', f.name)
    out[f.name] = _decodeValue(schema, f, bytes.subarray(pos, pos + len))
    pos += len
    prevTag = tag
  }
  for (const f of schema.fields) {
    if (!f.optional && out[f.name] === undefined)
      throw new MalformedRecordError(schema.record, 'missing-field', f.name)
  }
  return out
}
