/** LSS's ECDH token and batch HMACs against VLS's own test vectors (vls-core `hmac_test`, `shared_secret_test`). */
import * as secp from '@noble/secp256k1'
import { describe, expect, it } from 'vitest'
import { lssHmac, lssSharedSecret, lssToken, PUT_CLIENT_NONCE, PUT_SERVER_NONCE } from '../../src/lss/auth.js'

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const kv = (key: string, version: number, value: Uint8Array | string) => ({
  key,
  version: BigInt(version),
  value: typeof value === 'string' ? new TextEncoder().encode(value) : value,
})

describe('LSS auth as VLS computes it', () => {
  it("vls-core hmac_test: a batch's client and server HMACs", () => {
    const secret = new Uint8Array(32)
    const kvs = [
      kv('foo', 0, Uint8Array.of(1)),
      kv('bar', 0, Uint8Array.of(2)),
      kv('baz', 0, Uint8Array.of(3)),
    ]
    expect(toHex(lssHmac(secret, PUT_CLIENT_NONCE, kvs))).toBe(
      '2e3c1864370a95cbd641d09ae0cf7c0dd5bd0b1c30707ee5ec23775e41f19f2e',
    )
    expect(toHex(lssHmac(secret, PUT_SERVER_NONCE, kvs))).toBe(
      '8fe3d55b41ae5f1c0d2b1015e3d190ff4c6d419bd792fccf8f349505031f9fec',
    )
  })

  it('vls-core shared_secret_test: the ECDH secret of the server key and a client key, and its token', () => {
    const server = new Uint8Array(32).fill(0x22)
    const client = hex('0200b2cd9b0c63b292cfc22a44b6085809c715d889041df3dee1ae4bb752d75d41')
    const shared = lssSharedSecret(server, client)
    expect(toHex(shared)).toBe('9c2d2c9d7605a1efe8ff0b81d0b01a2859de2861d89f01e2a617faa3e05c704b')
    expect(toHex(secp.getPublicKey(server, true))).toBe(
      '02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27',
    )
    expect(toHex(lssToken(shared))).toBe('5a3935be6b68b9ee120298d0d70bc6076538816fc476c83ccb7db2cf701c389b')
    const kvs = [kv('x1', 0, 'v1'), kv('x2', 0, 'v2')]
    expect(toHex(lssHmac(shared, PUT_CLIENT_NONCE, kvs))).toBe(
      'a79dece7ab7a8546df3647d82c35036e6adbad6a01142fc374dbb790c9fe06a2',
    )
    expect(toHex(lssHmac(shared, PUT_SERVER_NONCE, kvs))).toBe(
      'ccd78ec9b5d2c66b0bc2058bed216eb448b2b658de8b932f0eaa3f85d9b215c3',
    )
    expect(toHex(lssHmac(shared, new Uint8Array(32), kvs))).toBe(
      '719fc765502383ced06c0cf3f0c1bc1e5950ac56299cccf73872a4da3bf864ec',
    )
    expect(toHex(lssHmac(shared, new Uint8Array(32), []))).toBe(
      '0015478081cac9233896229b6719fe6843d59ff31ba5bd1ceb995f27be93ff83',
    )
  })
})
