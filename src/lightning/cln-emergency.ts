/**
 * CLN's emergency.recover, the static channel backup its chanbackup plugin keeps (docs/format.md
 * §Lightning node files, its CLN emergency.recover part): decrypted with the key the node's hsm_secret
 * gives, then read as lightningd reads it. Follows ElementsProject/lightning plugins/chanbackup.c
 * (`init`: makesecret "scb secret"; `write_scb`, `decrypt_scb`, `read_static_chan_backup`,
 * `json_emergencyrecover`: the version check), common/scb_wire.csv and what tools/generate-wire.py makes
 * of it, wire/fromwire.c, wire/tlvstream.c (`fromwire_tlv`), common/bigsize.c, common/wireaddr.c
 * (`fromwire_wireaddr`), common/htlc_wire.c (`fromwire_shachain`, `fromwire_side`),
 * common/derive_basepoints.c and bitcoin/pubkey.c:
 *
 *   file      = secretstream header (24) || one message (c0 || ciphertext || mac 16)
 *   key       = makesecret("scb secret") (cln-hsm.ts `clnMakeSecret`)
 *   plaintext = u16 type (6135 legacy, 6137 with tlvs) || u64 version || u32 timestamp || u16 num
 *               || channel × num
 *
 * A file is refused (SourceMismatchError) when CLN's `emergencyrecover` would refuse it: too short, not
 * decrypting under this node's key, not parsing, or a version it does not read.
 */
import { Point } from '@noble/secp256k1'
import { clnMakeSecret } from './cln-hsm.js'
import { SourceMismatchError } from './errors.js'
import { SECRETSTREAM_ABYTES, SECRETSTREAM_HEADERBYTES, secretstreamOpenFile } from './secretstream.js'

export const WIRE_STATIC_CHAN_BACKUP = 6135
export const WIRE_STATIC_CHAN_BACKUP_WITH_TLVS = 6137
/** chanbackup.c VERSION; a file's version is read where (version & 0x5555…) equals VERSION's. */
export const CLN_SCB_VERSION = 1n
const VERSION_MASK = 0x5555555555555555n
/** SHACHAIN_BITS (48, lightningd's Makefile) + 1: the most known entries a shachain holds. */
const SHACHAIN_MAX_KNOWN = 49
const WHAT = "a CLN emergency.recover of this node's"

export type ClnAddrType = 'ipv4' | 'ipv6' | 'torv2' | 'torv3' | 'dns'
/** `struct wireaddr`: the type, the address bytes (a DNS name's ASCII) and the port. */
export interface ClnWireAddr {
  readonly type: ClnAddrType
  readonly addr: Uint8Array
  readonly port: number
}

/** The scb_tlvs a modern channel carries (each optional). */
export interface ClnScbTlvs {
  /** Type 1: the peer's revocation secrets (`struct shachain`). */
  shachain?: { minIndex: bigint; known: { index: bigint; hash: Uint8Array }[] }
  /** Type 3: the peer's basepoints, 33-byte compressed keys. */
  basepoints?: { revocation: Uint8Array; payment: Uint8Array; htlc: Uint8Array; delayedPayment: Uint8Array }
  /** Type 5: who opened the channel. */
  opener?: 'local' | 'remote'
  /** Type 7: the peer's to_self_delay. */
  remoteToSelfDelay?: number
}

/** One `legacy_scb_chan` or `modern_scb_chan`. */
export interface ClnScbChannel {
  /** The channel's database id (`dbid`). */
  readonly id: bigint
  readonly channelId: Uint8Array
  /** The peer's node id, 33 bytes (not checked to be a point: CLN does not). */
  readonly peerId: Uint8Array
  readonly addr: ClnWireAddr
  /** The funding txid in internal byte order (reversed from how it is shown). */
  readonly fundingTxid: Uint8Array
  readonly fundingOutnum: number
  readonly fundingSats: bigint
  /** The channel type's feature bits, as on the wire. */
  readonly channelType: Uint8Array
  /** Modern channels only. */
  readonly tlvs?: ClnScbTlvs
}

export interface ClnEmergencyRecover {
  /** `legacy`: static_chan_backup (6135), which CLN converts; `tlvs`: static_chan_backup_with_tlvs (6137). */
  readonly format: 'legacy' | 'tlvs'
  readonly version: bigint
  /** When the plugin wrote it (seconds since 1970). */
  readonly timestamp: number
  readonly channels: ClnScbChannel[]
}

/** The key chanbackup asks for at `init`: makesecret(hex of "scb secret"). */
export function clnEmergencyKey(secret: Uint8Array): Uint8Array {
  return clnMakeSecret(secret, 'scb secret')
}

/** Why the plaintext does not parse; bounded text (a field's name), never its contents. */
class _Malformed extends Error {}

/** wire/fromwire.c over one buffer: every read is bounded by `end`, and failing is final. */
class _Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private pos = 0,
    private readonly end = bytes.length,
  ) {}
  get left(): number {
    return this.end - this.pos
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.left) throw new _Malformed(`${what} cut short`)
    this.pos += n
    return this.bytes.slice(this.pos - n, this.pos)
  }
  u8(what: string): number {
    return this.take(1, what)[0]!
  }
  u16(what: string): number {
    const b = this.take(2, what)
    return (b[0]! << 8) | b[1]!
  }
  u32(what: string): number {
    const b = this.take(4, what)
    return new DataView(b.buffer).getUint32(0)
  }
  u64(what: string): bigint {
    const b = this.take(8, what)
    return new DataView(b.buffer).getBigUint64(0)
  }
  /** `fromwire_bigsize`: BOLT 1 BigSize, refused unless minimal. */
  bigsize(what: string): bigint {
    const first = this.u8(what)
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : first === 0xff ? 8 : 0
    if (width === 0) return BigInt(first)
    let v = 0n
    for (const b of this.take(width, what)) v = (v << 8n) | BigInt(b)
    const min = width === 2 ? 0xfdn : width === 4 ? 0x10000n : 0x100000000n
    if (v < min) throw new _Malformed(`${what} not minimally encoded`)
    return v
  }
  /** A reader of the next n bytes; this one moves past them. */
  sub(n: number, what: string): _Reader {
    if (n > this.left) throw new _Malformed(`${what} cut short`)
    this.pos += n
    return new _Reader(this.bytes, this.pos - n, this.pos)
  }
}

const ADDR_TYPES: Record<number, [ClnAddrType, number]> = {
  1: ['ipv4', 4],
  2: ['ipv6', 16],
  3: ['torv2', 10],
  4: ['torv3', 35],
  5: ['dns', -1],
}

/** `fromwire_wireaddr`: type, [length for DNS], address, port. */
function _wireaddr(r: _Reader): ClnWireAddr {
  const code = r.u8('address type')
  const known = ADDR_TYPES[code]
  // CLN's generated reader ignores FROMWIREADDR_UNKNOWN and reads on from the wrong place; kith refuses
  if (known === undefined) throw new _Malformed(`address type ${code} unknown`)
  const length = known[1] < 0 ? r.u8('address length') : known[1]
  return { type: known[0], addr: r.take(length, 'address'), port: r.u16('port') }
}

/** `fromwire_pubkey`: 33 bytes that secp256k1_ec_pubkey_parse accepts (02/03 and a point). */
function _pubkey(r: _Reader, what: string): Uint8Array {
  const der = r.take(33, what)
  try {
    if (der[0] !== 2 && der[0] !== 3) throw new Error('prefix')
    Point.fromBytes(der)
  } catch {
    throw new _Malformed(`${what} not a valid point`)
  }
  return der
}

/** The fields both channel forms begin with, up to the address. */
function _head(r: _Reader, legacy: boolean): { id: bigint; channelId: Uint8Array; peerId: Uint8Array } {
  const id = r.u64('id')
  const channelId = r.take(32, 'channel id')
  const peerId = r.take(33, 'node id')
  if (legacy) r.u8('unused')
  return { id, channelId, peerId }
}

/** A channel: legacy_scb_chan, or modern_scb_chan with its scb_tlvs. */
function _channel(r: _Reader, legacy: boolean): ClnScbChannel {
  const head = _head(r, legacy)
  const addr = _wireaddr(r)
  const fundingTxid = r.take(32, 'funding txid')
  const fundingOutnum = r.u32('funding output')
  const fundingSats = r.u64('funding amount')
  const channelType = r.take(r.u16('channel type length'), 'channel type')
  const channel = { ...head, addr, fundingTxid, fundingOutnum, fundingSats, channelType }
  if (legacy) return channel
  // the generated reader hands fromwire_tlv a copy of len_tlv as its bound; kith also bounds it by the buffer
  const tlvs = _tlvs(r.sub(r.u32('tlv length'), 'tlvs'))
  return { ...channel, tlvs }
}

/**
 * `fromwire_tlv` for scb_tlvs: types strictly increasing, BigSize minimal, each length within the
 * stream; a known type's value read exactly (no byte short or over), an unknown odd one skipped, an
 * unknown even one refused.
 */
function _tlvs(r: _Reader): ClnScbTlvs {
  const out: ClnScbTlvs = {}
  let previous = -1n
  while (r.left > 0) {
    const type = r.bigsize('tlv type')
    if (type <= previous) throw new _Malformed('tlv types out of order')
    previous = type
    const known = type === 1n || type === 3n || type === 5n || type === 7n
    if (!known && type % 2n === 0n) throw new _Malformed(`unknown even tlv ${type}`)
    const length = r.bigsize('tlv length')
    if (length > BigInt(r.left)) throw new _Malformed('tlv value cut short')
    const v = r.sub(Number(length), 'tlv value')
    if (type === 1n) out.shachain = _shachain(v)
    else if (type === 3n)
      out.basepoints = {
        revocation: _pubkey(v, 'revocation basepoint'),
        payment: _pubkey(v, 'payment basepoint'),
        htlc: _pubkey(v, 'htlc basepoint'),
        delayedPayment: _pubkey(v, 'delayed payment basepoint'),
      }
    else if (type === 5n) {
      const side = v.u8('opener')
      if (side > 1) throw new _Malformed('opener not a side')
      out.opener = side === 0 ? 'local' : 'remote'
    } else if (type === 7n) out.remoteToSelfDelay = v.u16('remote to_self_delay')
    if (known && v.left !== 0) throw new _Malformed(`tlv ${type} longer than its value`)
  }
  return out
}

/** `fromwire_shachain`: min_index, num_valid (at most 49), then (index, hash) × num_valid. */
function _shachain(r: _Reader): NonNullable<ClnScbTlvs['shachain']> {
  const minIndex = r.u64('shachain min index')
  const count = r.u32('shachain count')
  if (count > SHACHAIN_MAX_KNOWN) throw new _Malformed('shachain count over 49')
  const known: { index: bigint; hash: Uint8Array }[] = []
  for (let i = 0; i < count; i++)
    known.push({ index: r.u64('shachain index'), hash: r.take(32, 'shachain hash') })
  return { minIndex, known }
}

/**
 * `read_static_chan_backup` and `json_emergencyrecover`'s version check over a decrypted plaintext. Like
 * the generated `fromwire_*`, bytes after the last channel are not looked at. Throws SourceMismatchError.
 */
export function parseClnStaticChanBackup(
  plaintext: Uint8Array,
  source = 'emergency.recover',
): ClnEmergencyRecover {
  let parsed: ClnEmergencyRecover
  try {
    const r = new _Reader(plaintext)
    const type = r.u16('type')
    if (type !== WIRE_STATIC_CHAN_BACKUP && type !== WIRE_STATIC_CHAN_BACKUP_WITH_TLVS)
      throw new _Malformed(`message type ${type}, neither 6135 nor 6137`)
    const legacy = type === WIRE_STATIC_CHAN_BACKUP
    const version = r.u64('version')
    const timestamp = r.u32('timestamp')
    const count = r.u16('channel count')
    const channels: ClnScbChannel[] = []
    for (let i = 0; i < count; i++) {
      try {
        channels.push(_channel(r, legacy))
      } catch (err) {
        if (err instanceof _Malformed) throw new _Malformed(`channel ${i + 1} of ${count}: ${err.message}`)
        throw err
      }
    }
    parsed = { format: legacy ? 'legacy' : 'tlvs', version, timestamp, channels }
  } catch (err) {
    if (!(err instanceof _Malformed)) throw err
    throw new SourceMismatchError(source, `it decrypts but does not parse (${err.message})`, WHAT)
  }
  if ((parsed.version & VERSION_MASK) !== (CLN_SCB_VERSION & VERSION_MASK))
    throw new SourceMismatchError(
      source,
      `its version ${parsed.version} is one CLN does not read (it reads 1)`,
      WHAT,
    )
  return parsed
}

/**
 * `decrypt_scb`: the plaintext of a file under the scb key, or SourceMismatchError when it is shorter than
 * 41 bytes (header and ABYTES) or does not decrypt (another node's file, or altered).
 */
export function decryptClnEmergencyRecover(
  file: Uint8Array,
  scbKey: Uint8Array,
  source = 'emergency.recover',
): Uint8Array {
  const min = SECRETSTREAM_HEADERBYTES + SECRETSTREAM_ABYTES
  if (file.length < min)
    throw new SourceMismatchError(source, `${file.length} bytes, under the ${min} of an empty one`, WHAT)
  const plaintext = secretstreamOpenFile(scbKey, file)
  if (plaintext === undefined)
    throw new SourceMismatchError(
      source,
      "it does not decrypt with this node's hsm_secret (another node's file, or altered)",
      WHAT,
    )
  return plaintext
}

/** Decrypt and read an emergency.recover with the node's root secret (ClnHsmSecret.secret). */
export function openClnEmergencyRecover(
  file: Uint8Array,
  secret: Uint8Array,
  source = 'emergency.recover',
): ClnEmergencyRecover {
  const key = clnEmergencyKey(secret)
  try {
    return parseClnStaticChanBackup(decryptClnEmergencyRecover(file, key, source), source)
  } finally {
    key.fill(0)
  }
}
