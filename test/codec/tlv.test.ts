import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRecord, encodeRecordBody, HEADER_LENGTH, type RecordDef } from '../../src/codec/record.js'
import { defineSchema, field, rawItems } from '../../src/codec/schema.js'
import { decodeFields, encodeFields } from '../../src/codec/tlv.js'
import { expectCode } from '../helpers/tmp.js'

const item = defineSchema('item', { a: field.u16(1), b: field.utf8(2, 8) })
const schema = defineSchema('sample', {
  id: field.bytes(1, 4),
  n: field.u64(2),
  name: field.utf8(3, 16),
  blob: field.optional(field.varbytes(4, 10)),
  tags: field.utf8list(5, 5, 3),
  ids: field.packed(6, rawItems(2, 2), 4),
  items: field.list(7, item, 2, 40),
})
// a kind outside the registry, for the codec alone; records of kith are made with defineRecord
const SAMPLE: RecordDef<typeof schema.fields> = {
  schema,
  kind: 200,
  version: 1,
  maxBytes: 400,
  signed: false,
}

const good = {
  id: Uint8Array.of(1, 2, 3, 4),
  n: 2 ** 53 - 1,
  name: 'héllo',
  tags: ['a', 'bc'],
  ids: [Uint8Array.of(0, 1), Uint8Array.of(0, 2)],
  items: [{ a: 7, b: 'x' }],
}

/** Build a raw field stream by hand: [tag, valueBytes][] */
function raw(fields: [number, number[]][]): Uint8Array {
  const out: number[] = []
  for (const [tag, v] of fields) out.push(tag, 0, 0, (v.length >> 8) & 0xff, v.length & 0xff, ...v)
  return Uint8Array.from(out)
}
const minimal: [number, number[]][] = [
  [1, [1, 2, 3, 4]],
  [2, [0, 0, 0, 0, 0, 0, 0, 9]],
  [3, [104]],
  [5, []],
  [6, []],
  [7, []],
]

describe('canonical TLV', () => {
  it('decode then encode gives the same bytes', () => {
    const bytes = encodeRecordBody(SAMPLE, good)
    const { fields } = decodeRecord(SAMPLE, bytes)
    expect(Buffer.from(encodeRecordBody(SAMPLE, fields)).equals(Buffer.from(bytes))).toBe(true)
    expect(fields.n).toBe(2 ** 53 - 1)
    expect(fields.name).toBe('héllo')
    expect(fields.blob).toBeUndefined()
  })

  it('round-trips random values canonically', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.uint8Array({ minLength: 4, maxLength: 4 }),
          n: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          name: fc.string({ maxLength: 4 }),
          blob: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: undefined }),
          tags: fc.array(fc.string({ maxLength: 1 }), { maxLength: 3 }),
        }),
        (v) => {
          const bytes = encodeRecordBody(SAMPLE, { ...v, ids: [], items: [] })
          const again = encodeRecordBody(SAMPLE, decodeRecord(SAMPLE, bytes).fields)
          expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true)
        },
      ),
    )
  })

  it('accepts a minimal hand-built stream', () => {
    expect(decodeFields(schema, raw(minimal)).n).toBe(9)
  })

  it('refuses duplicate, out-of-order and unknown fields', async () => {
    const dup = [...minimal.slice(0, 2), minimal[1]!, ...minimal.slice(2)]
    expect((await expectCode(() => decodeFields(schema, raw(dup)), 'MALFORMED_RECORD')).message).toMatch(
      /duplicate/,
    )
    const swapped = [minimal[1]!, minimal[0]!, ...minimal.slice(2)]
    expect((await expectCode(() => decodeFields(schema, raw(swapped)), 'MALFORMED_RECORD')).message).toMatch(
      /order/,
    )
    const unknown: [number, number[]][] = [...minimal, [9, [0]]]
    expect((await expectCode(() => decodeFields(schema, raw(unknown)), 'MALFORMED_RECORD')).message).toMatch(
      /unknown/,
    )
    const missing = minimal.filter(([t]) => t !== 3)
    expect((await expectCode(() => decodeFields(schema, raw(missing)), 'MALFORMED_RECORD')).message).toMatch(
      /missing/,
    )
  })

  it('refuses an oversize length before reading the value', async () => {
    // declares 4 GiB for a 10-byte-max field, with no value bytes present at all
    const huge = Uint8Array.from([...raw(minimal.slice(0, 3)), 4, 0xff, 0xff, 0xff, 0xff])
    expect((await expectCode(() => decodeFields(schema, huge), 'MALFORMED_RECORD')).message).toMatch(
      /field-length/,
    )
  })

  it('refuses bad values: u64 above 2^53-1, invalid UTF-8, unsorted packed items', async () => {
    const big = minimal.map(([t, v]) => (t === 2 ? [t, [0, 0x20, 0, 0, 0, 0, 0, 0]] : [t, v])) as [
      number,
      number[],
    ][]
    await expectCode(() => decodeFields(schema, raw(big)), 'MALFORMED_RECORD')
    const badUtf8 = minimal.map(([t, v]) => (t === 3 ? [t, [0xc3, 0x28]] : [t, v])) as [number, number[]][]
    await expectCode(() => decodeFields(schema, raw(badUtf8)), 'MALFORMED_RECORD')
    const unsorted = minimal.map(([t, v]) => (t === 6 ? [t, [0, 2, 0, 1]] : [t, v])) as [number, number[]][]
    await expectCode(() => decodeFields(schema, raw(unsorted)), 'MALFORMED_RECORD')
    const truncated = raw(minimal).subarray(0, 12)
    await expectCode(() => decodeFields(schema, truncated), 'MALFORMED_RECORD')
  })

  it('checks framing: size cap first, magic, kind, version', async () => {
    const bytes = encodeRecordBody(SAMPLE, good)
    await expectCode(() => decodeRecord(SAMPLE, new Uint8Array(401)), 'RECORD_TOO_LARGE')
    const badMagic = bytes.slice()
    badMagic[0] = 0
    await expectCode(() => decodeRecord(SAMPLE, badMagic), 'MALFORMED_RECORD')
    const badKind = bytes.slice()
    badKind[4] = 201
    await expectCode(() => decodeRecord(SAMPLE, badKind), 'MALFORMED_RECORD')
    const badVersion = bytes.slice()
    badVersion[5] = 2
    await expectCode(() => decodeRecord(SAMPLE, badVersion), 'UNSUPPORTED_FORMAT')
    await expectCode(() => decodeRecord(SAMPLE, bytes.subarray(0, HEADER_LENGTH - 1)), 'MALFORMED_RECORD')
  })

  it('encoding refuses values outside the schema (caller bugs)', () => {
    expect(() => encodeFields(schema, { ...good, id: new Uint8Array(3) })).toThrow(TypeError)
    expect(() => encodeFields(schema, { ...good, n: -1 })).toThrow(RangeError)
    expect(() => encodeFields(schema, { ...good, ids: [Uint8Array.of(0, 2), Uint8Array.of(0, 1)] })).toThrow(
      RangeError,
    )
  })
})

describe('typed fields', () => {
  const COLOURS = { red: 1, green: 2 } as const
  const pair = {
    stride: 3,
    sortKey: 1,
    encode: (p: { k: number; v: number }) => Uint8Array.of(p.k, p.v >> 8, p.v & 0xff),
    decode: (b: Uint8Array) => ({ k: b[0]!, v: (b[1]! << 8) | b[2]! }),
  }
  const typed = defineSchema('typed', {
    colour: field.enumeration(1, COLOURS),
    pairs: field.packed(2, pair, 4),
  })

  it('an enumeration is its name in code and its number on the wire', () => {
    const bytes = encodeFields(typed, { colour: 'green', pairs: [] })
    expect([...bytes.subarray(0, 6)]).toEqual([1, 0, 0, 0, 1, 2])
    expect(decodeFields(typed, bytes).colour).toBe('green')
  })

  it('an enumeration refuses a number it does not name', async () => {
    const bytes = encodeFields(typed, { colour: 'red', pairs: [] })
    bytes[5] = 9
    expect((await expectCode(() => decodeFields(typed, bytes), 'MALFORMED_RECORD')).message).toMatch(
      /value \(colour\)/,
    )
  })

  it('packed items decode to their own type and must stay sorted by their key', async () => {
    const pairs = [
      { k: 1, v: 300 },
      { k: 2, v: 7 },
    ]
    expect(decodeFields(typed, encodeFields(typed, { colour: 'red', pairs })).pairs).toEqual(pairs)
    expect(() => encodeFields(typed, { colour: 'red', pairs: [...pairs].reverse() })).toThrow(RangeError)
  })

  it('a schema refuses two names for one enumeration value', () => {
    expect(() => defineSchema('bad', { x: field.enumeration(1, { a: 1, b: 1 }) })).toThrow(RangeError)
  })
})
