/**
 * Canonical TLV field streams (docs/format.md §Records): tag(u8) || length(u32 BE) || value, tags strictly
 * increasing, so decode-then-encode gives the same bytes. A length is checked against its field's cap
 * before the value is touched; unknown, duplicate and out-of-order tags are refused.
 */
import { MalformedRecordError } from './errors.js'
import type { AnyField, EnumField, IntField, Schema, SchemaFields, Values } from './schema.js'
import { wireName } from './schema.js'

const INT_WIDTH = { u8: 1, u16: 2, u32: 4, u64: 8, enum: 1 } as const
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function _maxValueLength(f: AnyField): number {
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
    case 'enum':
      return INT_WIDTH[f.type]
    case 'utf8list':
      return f.maxItems * (2 + f.max)
    case 'packed':
      return f.maxItems * f.item.stride
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
  /** The parts in one buffer, after `room` bytes left for the caller (a record's header). */
  finish(room = 0): Uint8Array {
    const out = new Uint8Array(room + this.length)
    let o = room
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

function _encodeInt(name: string, f: IntField, v: unknown): Uint8Array {
  if (
    typeof v !== 'number' ||
    !Number.isSafeInteger(v) ||
    v < (f.min ?? 0) ||
    v > (f.max ?? Number.MAX_SAFE_INTEGER)
  ) {
    throw new RangeError(`${name} out of range`)
  }
  const width = INT_WIDTH[f.type]
  if (width < 8 && v >= 2 ** (8 * width)) throw new RangeError(`${name} out of range`)
  const out = new Uint8Array(width)
  const view = new DataView(out.buffer)
  if (width === 8) view.setBigUint64(0, BigInt(v))
  else if (width === 4) view.setUint32(0, v)
  else if (width === 2) view.setUint16(0, v)
  else view.setUint8(0, v)
  return out
}

function _encodeEnum(name: string, f: EnumField<string>, v: unknown): Uint8Array {
  const code = typeof v === 'string' && Object.hasOwn(f.values, v) ? f.values[v] : undefined
  if (code === undefined) throw new RangeError(`${name} is not one of ${Object.keys(f.values).join(', ')}`)
  return Uint8Array.of(code)
}

function _encodeValue(name: string, f: AnyField, v: unknown): Uint8Array {
  const bad = () => new TypeError(`${name} has the wrong type or size`)
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
      return _encodeInt(name, f, v)
    case 'enum':
      return _encodeEnum(name, f, v)
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
      const { stride, sortKey } = f.item
      const w = new Writer()
      let prev: Uint8Array | undefined
      for (const value of v) {
        const item = f.item.encode(value)
        if (!(item instanceof Uint8Array) || item.length !== stride) throw bad()
        if (sortKey !== undefined && prev !== undefined && _compareKey(prev, item, sortKey) >= 0)
          throw new RangeError(`${name} must be sorted and unique`)
        prev = item
        w.push(item)
      }
      return w.finish()
    }
    case 'list': {
      if (!Array.isArray(v) || v.length > f.maxItems) throw bad()
      const w = new Writer()
      for (const item of v) {
        const b = _encode(f.item, item)
        if (b.length > f.maxItemBytes) throw bad()
        w.u32(b.length)
        w.push(b)
      }
      return w.finish()
    }
  }
}

function _encode(schema: Schema, values: unknown, room = 0): Uint8Array {
  if (values === null || typeof values !== 'object') throw new TypeError(`${schema.record} must be an object`)
  const w = new Writer()
  for (const [name, f] of Object.entries(schema.fields)) {
    const v: unknown = Reflect.get(values, name)
    if (v === undefined) {
      if (f.optional) continue
      throw new TypeError(`${schema.record}.${wireName(name)} is required`)
    }
    const value = _encodeValue(wireName(name), f, v)
    w.u8(f.tag)
    w.u32(value.length)
    w.push(value)
  }
  return w.finish(room)
}

/**
 * Encode `values` as a canonical TLV stream under `schema`, after `room` bytes left zero for the caller
 * (a record's header: a chunk's bytes are then copied once, not twice). Wrong types or sizes are caller
 * bugs.
 */
export function encodeFields<S extends SchemaFields>(
  schema: Schema<S>,
  values: Values<S>,
  room = 0,
): Uint8Array {
  return _encode(schema, values, room)
}

// ---- decoding ----

function _decodeValue(schema: Schema, name: string, f: AnyField, b: Uint8Array): unknown {
  const err = (reason: 'field-length' | 'value' | 'truncated') =>
    new MalformedRecordError(schema.record, reason, name)
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
    case 'enum': {
      if (b.length !== 1) throw err('field-length')
      const found = Object.entries(f.values).find(([, code]) => code === b[0])
      if (found === undefined) throw err('value')
      return found[0]
    }
    case 'utf8':
      return _utf8(b, () => err('value'))
    case 'utf8list': {
      const out: string[] = []
      for (let p = 0; p < b.length; ) {
        if (b.length - p < 2) throw err('truncated')
        const len = view.getUint16(p)
        p += 2
        if (len > f.max) throw err('field-length')
        if (p + len > b.length) throw err('truncated')
        if (out.length === f.maxItems) throw err('field-length')
        out.push(_utf8(b.subarray(p, p + len), () => err('value')))
        p += len
      }
      return out
    }
    case 'packed': {
      const { stride, sortKey } = f.item
      if (b.length % stride !== 0) throw err('field-length')
      const out: unknown[] = []
      let prev: Uint8Array | undefined
      for (let p = 0; p < b.length; p += stride) {
        const item = b.subarray(p, p + stride)
        if (sortKey !== undefined && prev !== undefined && _compareKey(prev, item, sortKey) >= 0)
          throw err('value')
        prev = item
        out.push(f.item.decode(item))
      }
      return out
    }
    case 'list': {
      const out: unknown[] = []
      for (let p = 0; p < b.length; ) {
        if (b.length - p < 4) throw err('truncated')
        const len = view.getUint32(p)
        p += 4
        if (len > f.maxItemBytes) throw err('field-length')
        if (p + len > b.length) throw err('truncated')
        if (out.length === f.maxItems) throw err('field-length')
        out.push(_decode(f.item, b.subarray(p, p + len)))
        p += len
      }
      return out
    }
  }
}

function _utf8(b: Uint8Array, err: () => Error): string {
  try {
    return strictUtf8.decode(b)
  } catch {
    throw err() // the decoder's own error says nothing a caller can use; the field name does
  }
}

function _decode(schema: Schema, bytes: Uint8Array): Record<string, unknown> {
  const byTag = new Map(Object.entries(schema.fields).map(([name, f]) => [f.tag, { name, f }]))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const out: Record<string, unknown> = {}
  let prevTag = -1
  let pos = 0
  while (pos < bytes.length) {
    if (bytes.length - pos < 5) throw new MalformedRecordError(schema.record, 'truncated')
    const tag = bytes[pos]!
    const len = view.getUint32(pos + 1)
    pos += 5
    const named = byTag.get(tag)
    const label = named && wireName(named.name)
    if (tag === prevTag) throw new MalformedRecordError(schema.record, 'duplicate-field', label)
    if (tag < prevTag) throw new MalformedRecordError(schema.record, 'field-order', label)
    if (named === undefined || label === undefined)
      throw new MalformedRecordError(schema.record, 'unknown-field', `tag ${tag}`)
    // the cap is checked on the declared length, before the value is sliced or parsed
    if (len > _maxValueLength(named.f)) throw new MalformedRecordError(schema.record, 'field-length', label)
    if (len > bytes.length - pos) throw new MalformedRecordError(schema.record, 'truncated', label)
    out[named.name] = _decodeValue(schema, label, named.f, bytes.subarray(pos, pos + len))
    pos += len
    prevTag = tag
  }
  for (const [name, f] of Object.entries(schema.fields)) {
    if (!f.optional && out[name] === undefined)
      throw new MalformedRecordError(schema.record, 'missing-field', wireName(name))
  }
  return out
}

/** Decode a whole TLV stream under `schema`; every byte must belong to a known field. */
export function decodeFields<S extends SchemaFields>(schema: Schema<S>, bytes: Uint8Array): Values<S> {
  // every required field was checked present and every value checked against its field above
  return _decode(schema, bytes) as Values<S>
}
