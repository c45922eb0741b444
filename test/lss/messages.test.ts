/** LSS's messages (protobufjs over lss.proto): the bytes protoc and prost write, and back. */
import { describe, expect, it } from 'vitest'
import {
  decodeGetReply,
  decodeGetRequest,
  decodePutReply,
  decodePutRequest,
  encodeGetReply,
  encodeGetRequest,
  encodeInfoReply,
  encodePutReply,
  encodePutRequest,
} from '../../src/lss/messages.js'

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const kv = (key: string, version: number, value: number[]) => ({
  key,
  version: BigInt(version),
  value: Uint8Array.from(value),
})

describe('LSS messages (lss.proto)', () => {
  it('a Put request: auth, key-values in order, the HMAC; and back', () => {
    const req = {
      auth: { clientId: Uint8Array.of(2, 1), token: Uint8Array.of(9) },
      kvs: [kv('x1', 0, [1]), kv('x2', 3, [])],
      hmac: Uint8Array.of(7),
    }
    const bytes = encodePutRequest(req)
    // auth {1: 0201, 2: 09}; kv {1: "x1", 3: 01} (version 0 is the default: not written); kv {1: "x2", 2: 3}
    // (an empty value is not written); hmac 07
    expect(toHex(bytes)).toBe('0a070a020201120109' + '12070a0278311a0101' + '12060a0278321003' + '1a0107')
    expect(decodePutRequest(bytes)).toEqual(req)
  })

  it('a Put reply of conflicts: success false, each key with its version, −1 for a missing one (field 10)', () => {
    const reply = { success: false, hmac: new Uint8Array(), conflicts: [kv('a', 4, [5]), kv('b', -1, [])] }
    const bytes = encodePutReply(reply)
    expect(toHex(bytes).startsWith('52')).toBe(true)
    expect(decodePutReply(bytes)).toEqual(reply)
    const ok = encodePutReply({ success: true, hmac: Uint8Array.of(1, 2), conflicts: [] })
    expect(toHex(ok)).toBe('080112020102')
  })

  it('a Get request and reply, and Info', () => {
    const get = {
      auth: { clientId: Uint8Array.of(3), token: Uint8Array.of(4) },
      keyPrefix: 'x',
      nonce: Uint8Array.of(0, 1),
    }
    expect(decodeGetRequest(encodeGetRequest(get))).toEqual(get)
    const reply = { kvs: [kv('x1', 0, [1]), kv('x2', 1, [2])], hmac: Uint8Array.of(8) }
    expect(decodeGetReply(encodeGetReply(reply))).toEqual(reply)
    expect(toHex(encodeInfoReply({ version: '0.1', serverId: Uint8Array.of(2) }))).toBe('0a03302e31120102')
  })

  it('writes an int64 of −1 as ten bytes, as protoc does; refuses bytes that are not a message', () => {
    const bytes = encodeGetReply({ kvs: [kv('a', -1, [])], hmac: new Uint8Array() })
    expect(toHex(bytes)).toBe('0a0e0a016110ffffffffffffffffff01')
    expect(decodeGetReply(bytes).kvs[0]!.version).toBe(-1n)
    expect(() => decodePutRequest(Uint8Array.of(0x0a, 5, 1))).toThrow(/not a valid protobuf message/)
  })

  it('a key, prefix or message that is the text "0" is written, never taken for a default', () => {
    const reply = { kvs: [kv('0', 0, [1]), kv('00', 3, [])], hmac: new Uint8Array() }
    expect(decodeGetReply(encodeGetReply(reply))).toEqual(reply)
    const get = {
      auth: { clientId: Uint8Array.of(3), token: Uint8Array.of(4) },
      keyPrefix: '0',
      nonce: Uint8Array.of(1),
    }
    expect(decodeGetRequest(encodeGetRequest(get))).toEqual(get)
  })
})
