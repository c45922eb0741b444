/**
 * VSS's messages (protobufjs over vss.proto): the bytes prost writes, proto3 `optional` presence kept both
 * ways (absent ≠ 0 ≠ ""), defaults of other fields left out, and bytes that are not a message refused.
 * Golden bytes worked out by hand from the protobuf encoding rules (tag = field << 3 | wire type).
 */
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/crypto/hash.js'
import {
  decodeDeleteObjectRequest,
  decodeErrorResponse,
  decodeGetObjectRequest,
  decodeGetObjectResponse,
  decodeListKeyVersionsRequest,
  decodeListKeyVersionsResponse,
  decodePutObjectRequest,
  encodeDeleteObjectRequest,
  encodeErrorResponse,
  encodeGetObjectRequest,
  encodeGetObjectResponse,
  encodeListKeyVersionsRequest,
  encodeListKeyVersionsResponse,
  encodePutObjectRequest,
  VSS_ERROR,
  VSS_ERROR_CODES,
} from '../../src/lss/vss-messages.js'
import { VSS_PROTO } from '../../src/lss/vss-proto.js'
import { expectCode } from '../helpers/tmp.js'

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))
const kv = (key: string, version: bigint, value: number[] = []) => ({
  key,
  version,
  value: Uint8Array.from(value),
})
/** −1 as an int64 varint: ten bytes. */
const MINUS_ONE = 'ffffffffffffffffff01'

describe('vss.proto', () => {
  it('is upstream proto/vss.proto byte for byte (the hash its header names)', () => {
    expect(toHex(sha256(new TextEncoder().encode(VSS_PROTO)))).toBe(
      '3edf898b63e4dff411d17478d54d3e276d4196cc5a28ee1a2ab610861ef8952b',
    )
  })

  it("VSS_ERROR is the schema's ErrorCode enum", () => {
    expect(VSS_ERROR_CODES).toEqual(VSS_ERROR)
  })
})

describe('optional presence (proto3 `optional`)', () => {
  it('ListKeyVersionsResponse: an empty next_page_token and a global version of 0 are written (12 00, 18 00)', () => {
    const r = { keyVersions: [], nextPageToken: '', globalVersion: 0n }
    expect(toHex(encodeListKeyVersionsResponse(r))).toBe('1200' + '1800')
    expect(decodeListKeyVersionsResponse(fromHex('12001800'))).toEqual(r)
  })

  it('ListKeyVersionsResponse: an absent token and global version are not written, and read back absent', () => {
    expect(toHex(encodeListKeyVersionsResponse({ keyVersions: [] }))).toBe('')
    const r = decodeListKeyVersionsResponse(new Uint8Array())
    expect(r).toEqual({ keyVersions: [] })
    expect('nextPageToken' in r || 'globalVersion' in r).toBe(false)
  })

  it('ListKeyVersionsResponse: key versions with empty values, a token, no global version (a later page)', () => {
    const r = { keyVersions: [kv('k', 2n)], nextPageToken: '7' }
    // key_versions {1: "k", 2: 2} (the empty value not written); next_page_token "7"
    expect(toHex(encodeListKeyVersionsResponse(r))).toBe('0a050a016b1002' + '120137')
    expect(decodeListKeyVersionsResponse(fromHex('0a050a016b1002120137'))).toEqual(r)
  })

  it('ListKeyVersionsRequest: page_size 0 is written (18 00); an empty store_id is not', () => {
    expect(toHex(encodeListKeyVersionsRequest({ storeId: '', pageSize: 0 }))).toBe('1800')
    expect(decodeListKeyVersionsRequest(fromHex('1800'))).toEqual({ storeId: '', pageSize: 0 })
    expect(decodeListKeyVersionsRequest(new Uint8Array())).toEqual({ storeId: '' })
  })

  it('ListKeyVersionsRequest: an empty prefix and an empty token are present (12 00, 22 00)', () => {
    const r = { storeId: 's', keyPrefix: '', pageToken: '' }
    expect(toHex(encodeListKeyVersionsRequest(r))).toBe('0a0173' + '1200' + '2200')
    expect(decodeListKeyVersionsRequest(fromHex('0a017312002200'))).toEqual(r)
  })

  it('ListKeyVersionsRequest: a negative page_size is a ten-byte varint, read back as the int32', () => {
    expect(toHex(encodeListKeyVersionsRequest({ storeId: '', pageSize: -1 }))).toBe(`18${MINUS_ONE}`)
    expect(decodeListKeyVersionsRequest(fromHex(`18${MINUS_ONE}`))).toEqual({ storeId: '', pageSize: -1 })
  })

  it('PutObjectRequest: global_version 0 is written (10 00): "first write, check it"', () => {
    const r = { storeId: '', globalVersion: 0n, transactionItems: [kv('k', -1n)], deleteItems: [] }
    // global_version 0; transaction_items {1: "k", 2: −1}
    const hex = '1000' + '1a0e' + '0a016b' + `10${MINUS_ONE}`
    expect(toHex(encodePutObjectRequest(r))).toBe(hex)
    expect(decodePutObjectRequest(fromHex(hex))).toEqual(r)
  })

  it('PutObjectRequest: no global_version is no field, and reads back absent (not 0)', () => {
    const r = { storeId: 'a', transactionItems: [], deleteItems: [kv('d', 3n, [9])] }
    const hex = '0a0161' + '2208' + '0a0164' + '1003' + '1a0109'
    expect(toHex(encodePutObjectRequest(r))).toBe(hex)
    const back = decodePutObjectRequest(fromHex(hex))
    expect(back).toEqual(r)
    expect('globalVersion' in back).toBe(false)
  })
})

describe('messages without optional fields', () => {
  it('GetObjectRequest: store_id and key; and back', () => {
    const r = { storeId: 'st', key: 'k1' }
    expect(toHex(encodeGetObjectRequest(r))).toBe('0a027374' + '12026b31')
    expect(decodeGetObjectRequest(fromHex('0a02737412026b31'))).toEqual(r)
  })

  it('GetObjectResponse: a KeyValue at all defaults is still there (12 00); none is no field', () => {
    expect(toHex(encodeGetObjectResponse({ value: kv('', 0n) }))).toBe('1200')
    expect(decodeGetObjectResponse(fromHex('1200'))).toEqual({ value: kv('', 0n) })
    expect(toHex(encodeGetObjectResponse({}))).toBe('')
    expect(decodeGetObjectResponse(new Uint8Array())).toEqual({})
  })

  it('DeleteObjectRequest: key_value present or missing', () => {
    const r = { storeId: '', keyValue: kv('k', -1n) }
    expect(toHex(encodeDeleteObjectRequest(r))).toBe(`120e0a016b10${MINUS_ONE}`)
    expect(decodeDeleteObjectRequest(fromHex(`120e0a016b10${MINUS_ONE}`))).toEqual(r)
    expect(decodeDeleteObjectRequest(new Uint8Array())).toEqual({ storeId: '' })
  })

  it('ErrorResponse: the enum code and the message', () => {
    const r = { errorCode: VSS_ERROR.CONFLICT_EXCEPTION, message: 'x' }
    expect(toHex(encodeErrorResponse(r))).toBe('0801' + '120178')
    expect(decodeErrorResponse(fromHex('0801120178'))).toEqual(r)
  })

  it('unknown fields are skipped, and a repeated scalar field takes its last value', () => {
    // field 9 varint 1; store_id "a" then "b"
    expect(decodeGetObjectRequest(fromHex('4801' + '0a0161' + '0a0162'))).toEqual({ storeId: 'b', key: '' })
  })

  it('text keeps a leading byte-order mark (Rust strings do)', () => {
    const r = { storeId: '\ufeffs', key: '\ufeffk' }
    expect(decodeGetObjectRequest(encodeGetObjectRequest(r))).toEqual(r)
  })
})

describe('bytes that are not a message (BAD_PROTOBUF)', () => {
  it('a length past the end', async () => {
    await expectCode(() => decodeGetObjectRequest(fromHex('0a0561')), 'BAD_PROTOBUF')
  })

  it('a length past the end, handed in as a Node Buffer', async () => {
    await expectCode(() => decodeGetObjectRequest(Buffer.from('0a01', 'hex')), 'BAD_PROTOBUF')
  })

  it('a key that is not UTF-8', async () => {
    await expectCode(() => decodeGetObjectRequest(fromHex('1201ff')), 'BAD_PROTOBUF')
  })

  it('a surrogate encoded in UTF-8 (ed a0 80) in a page token', async () => {
    await expectCode(() => decodeListKeyVersionsRequest(fromHex('2203eda080')), 'BAD_PROTOBUF')
  })

  it('an unknown wire type', async () => {
    await expectCode(() => decodePutObjectRequest(fromHex('0f')), 'BAD_PROTOBUF')
  })

  it('a put item cut short inside its version', async () => {
    await expectCode(() => decodePutObjectRequest(fromHex('1a030a016b10ff')), 'BAD_PROTOBUF')
  })
})

describe('round trips', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 12 })
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  const item = fc.record({ key: text, version: int64, value: fc.uint8Array({ maxLength: 16 }) })

  it('PutObjectRequest, with and without a global version', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(int64, { nil: undefined }),
        fc.array(item, { maxLength: 4 }),
        fc.array(item, { maxLength: 4 }),
        (storeId, globalVersion, transactionItems, deleteItems) => {
          const r = {
            storeId,
            ...(globalVersion === undefined ? {} : { globalVersion }),
            transactionItems,
            deleteItems,
          }
          expect(decodePutObjectRequest(encodePutObjectRequest(r))).toEqual(r)
        },
      ),
    )
  })

  it('ListKeyVersionsRequest, each optional field there or not', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(text, { nil: undefined }),
        fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
        fc.option(text, { nil: undefined }),
        (storeId, keyPrefix, pageSize, pageToken) => {
          const r = {
            storeId,
            ...(keyPrefix === undefined ? {} : { keyPrefix }),
            ...(pageSize === undefined ? {} : { pageSize }),
            ...(pageToken === undefined ? {} : { pageToken }),
          }
          expect(decodeListKeyVersionsRequest(encodeListKeyVersionsRequest(r))).toEqual(r)
        },
      ),
    )
  })
})
