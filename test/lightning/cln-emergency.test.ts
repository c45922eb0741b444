import { randomBytes } from 'node:crypto'
import { chacha20 } from '@noble/ciphers/chacha.js'
import { getPublicKey } from '@noble/secp256k1'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ClnEmergencyRecover,
  clnEmergencyKey,
  decryptClnEmergencyRecover,
  openClnEmergencyRecover,
  parseClnStaticChanBackup,
} from '../../src/lightning/cln-emergency.js'
import { openClnHsmSecret } from '../../src/lightning/cln-hsm.js'
import {
  type SecretstreamState,
  secretstreamAdvance,
  secretstreamInit,
  secretstreamMac,
  secretstreamOpenFile,
  secretstreamPull,
  secretstreamTagBlock,
} from '../../src/lightning/secretstream.js'
import { expectCode, hex } from '../helpers/tmp.js'
import vectors from '../vectors/cln.json' with { type: 'json' }

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
const utf8 = (s: string) => new TextEncoder().encode(s)

/** libsodium's `_push` (test side only): c0 || ciphertext || mac, the state advanced. */
function push(
  state: SecretstreamState,
  m: Uint8Array,
  tag = 0,
  ad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const block = secretstreamTagBlock(state, tag)
  const ciphertext = chacha20(state.k, state.nonce, m, undefined, 2)
  const mac = secretstreamMac(state, block, ciphertext, ad)
  secretstreamAdvance(state, mac, tag)
  return concat(block.subarray(0, 1), ciphertext, mac)
}

/** A whole file as chanbackup's write_scb makes it: a random header and one message, tag 0. */
function sealFile(key: Uint8Array, plaintext: Uint8Array, header: Uint8Array = randomBytes(24)): Uint8Array {
  return concat(header, push(secretstreamInit(key, header), plaintext))
}

/** The parse as plain JSON: hex for bytes, decimal strings for u64. */
function asJson(r: ClnEmergencyRecover): unknown {
  return JSON.parse(
    JSON.stringify(r, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v,
    ),
  )
}

// a tiny towire for refusals: every builder returns bytes
const u16 = (n: number) => new Uint8Array([n >> 8, n & 0xff])
const u32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}
const u64 = (n: bigint) => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n)
  return b
}
const tlv = (type: number, value: Uint8Array) => concat(new Uint8Array([type, value.length]), value)
const PEER = hex(vectors.emergencyRecover.legacy.expected.channels[0]!.peerId)
const IPV4 = concat(new Uint8Array([1, 127, 0, 0, 1]), u16(9735))
/** The public key of the secret key k (1..255). */
const point = (k: number) => {
  const secret = new Uint8Array(32)
  secret[31] = k
  return getPublicKey(secret, true)
}

function modernChannel(tlvs: Uint8Array, addr = IPV4): Uint8Array {
  return concat(
    u64(1n),
    new Uint8Array(32).fill(7),
    PEER,
    addr,
    new Uint8Array(32).fill(9),
    u32(0),
    u64(100_000n),
    u16(0),
    u32(tlvs.length),
    tlvs,
  )
}
function backup(channels: Uint8Array[], version = 1n, type = 6137): Uint8Array {
  return concat(u16(type), u64(version), u32(1_700_000_000), u16(channels.length), ...channels)
}

describe('libsodium secretstream (pull), byte for byte', () => {
  const key = hex(vectors.secretstream.key)

  it('opens a file libsodium sealed, and push rebuilds it from the same header', () => {
    const v = vectors.secretstream.single
    const file = hex(v.file)
    expect(toHex(secretstreamOpenFile(key, file)!)).toBe(v.plaintext)
    expect(toHex(sealFile(key, hex(v.plaintext), file.subarray(0, 24)))).toBe(v.file)
  })

  it("follows libsodium's stream: associated data, the REKEY tag, FINAL", () => {
    const v = vectors.secretstream.multi
    const state = secretstreamInit(key, hex(v.header))
    const pushed = secretstreamInit(key, hex(v.header))
    for (const m of v.messages) {
      const out = secretstreamPull(state, hex(m.message), hex(m.ad))
      expect(out && [toHex(out.plaintext), out.tag]).toEqual([m.plaintext, m.tag])
      expect(toHex(push(pushed, hex(m.plaintext), m.tag, hex(m.ad)))).toBe(m.message)
    }
  })

  it('refuses a message out of order, with other associated data, or shorter than 17 bytes', () => {
    const v = vectors.secretstream.multi
    expect(
      secretstreamPull(secretstreamInit(key, hex(v.header)), hex(v.messages[1]!.message)),
    ).toBeUndefined()
    expect(
      secretstreamPull(secretstreamInit(key, hex(v.header)), hex(v.messages[0]!.message)),
    ).toBeUndefined()
    expect(secretstreamPull(secretstreamInit(key, hex(v.header)), new Uint8Array(16))).toBeUndefined()
  })

  it('round-trips any message and refuses any flipped bit', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        (k, m, at) => {
          const file = sealFile(k, m)
          expect(toHex(secretstreamOpenFile(k, file)!)).toBe(toHex(m))
          const bad = file.slice()
          const i = at % bad.length
          bad[i] = bad[i]! ^ (1 << (at % 8))
          expect(secretstreamOpenFile(k, bad)).toBeUndefined()
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('CLN emergency.recover', () => {
  const { legacy, modern, otherNode, empty } = vectors.emergencyRecover

  it("opens CLN's own legacy file with its node's hsm_secret (test_emergencyrecover_old_format_handling)", async () => {
    const hsm = await openClnHsmSecret(hex(legacy.hsmSecret))
    expect(toHex(clnEmergencyKey(hsm.secret))).toBe(legacy.scbKey)
    const opened = openClnEmergencyRecover(hex(legacy.file), hsm.secret)
    expect(asJson(opened)).toEqual(legacy.expected)
    // the funding txid CLN logs ("Watching for funding txid: 2fde45…") is the internal order reversed
    expect(toHex(opened.channels[0]!.fundingTxid.slice().reverse())).toBe(
      '2fde452820f436a5d04eff90ae173849066a3ab2a6a4f139185e4a775a629734',
    )
  })

  it('opens a modern file (with tlvs) under a mnemonic hsm_secret, whose whole 64-byte seed makes the key', async () => {
    const hsm = await openClnHsmSecret(hex(modern.hsmFile))
    expect(toHex(clnEmergencyKey(hsm.secret))).toBe(modern.scbKey)
    expect(toHex(decryptClnEmergencyRecover(hex(modern.file), hex(modern.scbKey)))).toBe(modern.plaintext)
    expect(asJson(openClnEmergencyRecover(hex(modern.file), hsm.secret))).toEqual(modern.expected)
  })

  it('opens one of no channels', async () => {
    const hsm = await openClnHsmSecret(hex(modern.hsmFile))
    const opened = openClnEmergencyRecover(hex(empty.file), hsm.secret)
    expect([opened.format, opened.channels]).toEqual(['tlvs', []])
  })

  it("refuses another node's file, naming why", async () => {
    const hsm = await openClnHsmSecret(hex(modern.hsmFile))
    const err = await expectCode(
      () => openClnEmergencyRecover(hex(otherNode.file), hsm.secret),
      'SOURCE_MISMATCH',
    )
    expect(err.message).toBe(
      "emergency.recover is not a CLN emergency.recover of this node's: it does not decrypt with this node's hsm_secret (another node's file, or altered)",
    )
    // and the legacy file under the modern node's secret
    await expectCode(() => openClnEmergencyRecover(hex(legacy.file), hsm.secret), 'SOURCE_MISMATCH')
  })

  it('refuses a truncated, extended, empty or altered file', async () => {
    const hsm = await openClnHsmSecret(hex(modern.hsmFile))
    const file = hex(modern.file)
    const cases = [
      file.subarray(0, file.length - 1),
      concat(file, new Uint8Array([0])),
      file.subarray(0, 40),
      new Uint8Array(0),
      ...[0, 23, 24, 25, 100, file.length - 1].map((i) => {
        const bad = file.slice()
        bad[i] = bad[i]! ^ 0x80
        return bad
      }),
    ]
    for (const bad of cases)
      await expectCode(() => openClnEmergencyRecover(bad, hsm.secret), 'SOURCE_MISMATCH')
    const short = await expectCode(
      () => openClnEmergencyRecover(file.subarray(0, 40), hsm.secret),
      'SOURCE_MISMATCH',
    )
    expect(short.message).toContain('40 bytes, under the 41')
  })

  describe('reads the plaintext as lightningd does', () => {
    const parse = (p: Uint8Array) => parseClnStaticChanBackup(p)
    const refuses = async (p: Uint8Array, why: RegExp) => {
      const err = await expectCode(() => parse(p), 'SOURCE_MISMATCH')
      expect(err.message).toMatch(why)
    }
    const basepoints = concat(point(11), point(12), point(13), point(14))

    it('takes a sealed file through the whole path', () => {
      const secret = randomBytes(32)
      const plain = backup([modernChannel(tlv(5, new Uint8Array([1])))])
      const opened = openClnEmergencyRecover(sealFile(clnEmergencyKey(secret), plain), secret)
      expect(opened.channels[0]!.tlvs).toEqual({ opener: 'remote' })
    })

    it('accepts a version whose even bits say 1, bytes after the last channel, and an unknown odd tlv', () => {
      expect(parse(backup([], 3n)).version).toBe(3n)
      expect(parse(concat(backup([]), new Uint8Array([1, 2, 3]))).channels).toEqual([])
      const odd = parse(
        backup([modernChannel(concat(tlv(5, new Uint8Array([0])), tlv(11, new Uint8Array(3))))]),
      )
      expect(odd.channels[0]!.tlvs).toEqual({ opener: 'local' })
      const bp = parse(backup([modernChannel(tlv(3, basepoints))])).channels[0]!.tlvs!.basepoints!
      expect(toHex(bp.delayedPayment)).toBe(toHex(point(14)))
    })

    it('refuses a version CLN does not read, and another message type', async () => {
      await refuses(backup([], 2n), /version 2 is one CLN does not read/)
      await refuses(backup([], 0n), /version 0/)
      await refuses(backup([], 1n, 6136), /message type 6136/)
      await refuses(new Uint8Array([0x17]), /type cut short/)
    })

    it('refuses channels cut short or over-counted', async () => {
      const one = backup([modernChannel(new Uint8Array(0))])
      await refuses(one.subarray(0, one.length - 1), /channel 1 of 1: tlv length cut short/)
      const two = one.slice()
      two[15] = 2 // num = 2
      await refuses(two, /channel 2 of 2: id cut short/)
      await refuses(
        backup([modernChannel(new Uint8Array(0), new Uint8Array([9, 0, 0]))]),
        /address type 9 unknown/,
      )
      await refuses(
        backup([concat(modernChannel(new Uint8Array(0)).subarray(0, -4), u32(5), new Uint8Array(2))]),
        /tlvs cut short/,
      )
    })

    it('refuses tlvs as fromwire_tlv does', async () => {
      const cases: [Uint8Array, RegExp][] = [
        [concat(tlv(7, u16(1)), tlv(5, new Uint8Array([0]))), /out of order/],
        [concat(tlv(5, new Uint8Array([0])), tlv(5, new Uint8Array([0]))), /out of order/],
        [tlv(8, new Uint8Array(1)), /unknown even tlv 8/],
        [tlv(5, new Uint8Array([2])), /opener not a side/],
        [tlv(5, new Uint8Array([0, 0])), /tlv 5 longer than its value/],
        [tlv(7, new Uint8Array([0])), /remote to_self_delay cut short/],
        [new Uint8Array([0xfd, 0, 5, 1, 0]), /tlv type not minimally encoded/],
        [new Uint8Array([5, 9, 0]), /tlv value cut short/],
        [
          // x = 5 is on no point of secp256k1 (5^3 + 7 is not a square mod p)
          tlv(
            3,
            concat(
              basepoints.subarray(0, 33 * 3),
              new Uint8Array([2]),
              new Uint8Array(31),
              new Uint8Array([5]),
            ),
          ),
          /delayed payment basepoint not a valid point/,
        ],
        [
          tlv(3, concat(new Uint8Array([4]), basepoints.subarray(1))),
          /revocation basepoint not a valid point/,
        ],
        [tlv(1, concat(u64(0n), u32(50))), /shachain count over 49/],
        [tlv(1, concat(u64(0n), u32(1), u64(5n))), /shachain hash cut short/],
      ]
      for (const [tlvs, why] of cases) await refuses(backup([modernChannel(tlvs)]), why)
    })

    it('never puts a channel or a key in its message', async () => {
      const err = await expectCode(
        () => parse(backup([modernChannel(tlv(8, utf8('secret')))])),
        'SOURCE_MISMATCH',
      )
      expect(err.message).not.toMatch(/secret|0707/)
    })
  })
})
