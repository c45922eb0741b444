import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRecord, defineRecord, encodeRecordBody, HEADER_LENGTH } from '../../src/codec/record.js'
import { decodeFields, defineSchema, encodeFields } from '../../src/codec/tlv.js'
import { expectCode } from '../helpers/tmp.js'

const item = defineSchema('item', [
  { tag: 1, name: 'a', type: 'u16' },
  { tag: 2, name: 'b', type: 'utf8', max: 8 },
])
const schema = defineSchema('sample', [
  { tag: 1, name: 'id', type: 'bytes', length: 4 },
  { tag: 2, name: 'n', type: 'u64' },
  { tag: 3, name: 'name', type: 'utf8', max: 16 },
  { tag: 4, name: 'blob', type: 'varbytes', max: 10, optional: true },
  { tag: 5, name: 'tags', type: 'utf8list', max: 5, maxItems: 3 },
  { tag: 6, name: 'ids', type: 'packed', stride: 2, maxItems: 4, sortKey: 2 },
  { tag: 7, name: 'items', type: 'list', item, maxItems: 2, maxItemBytes: 40 },
])
const SAMPLE = defineRecord({ schema, kind: 200, version: 1, maxBytes: 400, signed: false })

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
    expect(fields['n']).toBe(2 ** 53 - 1)
    expect(fields['name']).toBe('héllo')
    expect(fields['blob']).toBeUndefined()
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
    expect(decodeFields(schema, raw(minimal))['n']).toBe(9)
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
