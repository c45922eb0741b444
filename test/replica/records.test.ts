import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeRecord, type RecordDef } from '../../src/codec/record.js'
import { ed25519PublicKey, ed25519Sign } from '../../src/crypto/ed25519.js'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey, verifyRecord } from '../../src/crypto/schnorr.js'
import { KithError } from '../../src/errors.js'
import { HEAD, headFromSignature, openHead, signHead } from '../../src/replica/head.js'
import {
  headOfManifest,
  openManifest,
  openManifestBody,
  sealManifest,
  verifySuccessor,
  ZERO_HASH,
} from '../../src/replica/manifest.js'
import { openReceipt, signReceipt } from '../../src/replica/receipt.js'
import { openRoster, ROSTER, signRoster } from '../../src/replica/roster.js'
import { decodeVaultState, encodeVaultState } from '../../src/replica/vault-state.js'
import { SHARE_ENVELOPE, sealShareEnvelope } from '../../src/shares/share-envelope.js'
import { expectCode } from '../helpers/tmp.js'

const sk = generateSecretKey()
const vaultId = schnorrPublicKey(sk)
const keys = deriveDataKeys(new Uint8Array(randomBytes(32)))
const id32 = () => new Uint8Array(randomBytes(32))

function manifest(version: number, parent: Uint8Array, epoch = 1) {
  const chunk = id32()
  return sealManifest(
    {
      vaultId,
      epoch,
      version,
      parent,
      createdAt: 1_700_000_000_000 + version,
      chunks: [{ id: chunk, size: 1041 }],
      body: {
        sources: [{ name: 'lnd', kind: 'lnd-scb', origin: '/home/op/.lnd/channel.backup' }],
        files: [
          {
            source: 'lnd',
            path: 'channel.backup',
            mode: 0o600,
            size: 1000,
            mtime: 1,
            contentHash: id32(),
            chunks: [chunk],
          },
        ],
        vaultState: Uint8Array.of(1, 2, 3),
      },
    },
    keys.manifestKey,
    sk,
  )
}

const guardianSeed = new Uint8Array(randomBytes(32))
const SHARE_SAMPLE = sealShareEnvelope(
  { vaultId, epoch: 1, x: 1, k: 2, n: 3, share: id32(), commitment: keys.commitment },
  sk,
).bytes
const records: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  [
    'roster',
    signRoster(
      {
        vaultId,
        epoch: 3,
        k: 2,
        w: 2,
        commitment: keys.commitment,
        coordinator: id32(),
        guardians: [1, 2, 3].map((i) => ({
          peerId: id32(),
          addrs: [`/ip4/127.0.0.1/tcp/${4000 + i}`],
          label: `friend ${i}`,
        })),
        createdAt: 1,
      },
      sk,
    ).bytes,
    openRoster,
  ],
  ['manifest', manifest(1, ZERO_HASH).bytes, (b) => openManifest(b)],
  ['head', signHead({ vaultId, epoch: 1, version: 4, manifestHash: id32() }, sk).bytes, openHead],
  [
    'receipt',
    signReceipt(
      {
        vaultId,
        epoch: 1,
        version: 4,
        manifestHash: id32(),
        guardianKey: ed25519PublicKey(guardianSeed),
        createdAt: 5,
      },
      (d) => ed25519Sign(guardianSeed, d),
    ).bytes,
    openReceipt,
  ],
]

describe('signed records', () => {
  for (const [name, bytes, open] of records) {
    it(`${name}: decodes, and every single flipped byte gives a named error`, () => {
      expect(() => open(bytes)).not.toThrow()
      const codes = new Set<string>()
      for (let i = 0; i < bytes.length; i++) {
        const bad = bytes.slice()
        bad[i]! ^= 0x01 << (i % 8)
        try {
          open(bad)
          throw new Error(`flip at byte ${i} was accepted`)
        } catch (err) {
          expect(err).toBeInstanceOf(KithError)
          codes.add((err as KithError).code)
        }
      }
      expect(codes.has('BAD_SIGNATURE')).toBe(true)
    })

    it(`${name}: truncated or extended bytes are refused`, () => {
      for (const bad of [bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Uint8Array.of(0)])]) {
        expect(() => open(new Uint8Array(bad))).toThrow(KithError)
      }
    })
  }

  it('each vault-signed record is signed under its own tag and verifies under no other', () => {
    const defs = { roster: ROSTER, share: SHARE_ENVELOPE, head: HEAD } as const
    const samples: Record<keyof typeof defs, Uint8Array> = {
      roster: records[0]![1],
      share: SHARE_SAMPLE,
      head: records[2]![1],
    }
    for (const type of ['roster', 'share', 'head'] as const) {
      const def: RecordDef = defs[type]
      expect(def.tag).toBe(type)
      const { signedBytes, signature } = decodeRecord(def, samples[type])
      for (const other of ['roster', 'share', 'head', 'receipt', 'veto', 'fence'] as const) {
        expect(verifyRecord(other, signedBytes, signature, vaultId)).toBe(other === type)
      }
    }
  })

  it('the vault state carried in manifest bodies round-trips', () => {
    const state = { vaultKey: sk, name: 'alice', k: 3, w: 3 }
    const back = decodeVaultState(encodeVaultState(state))
    expect(back).toMatchObject({ name: 'alice', k: 3, w: 3 })
    expect(Buffer.from(back.vaultKey).equals(Buffer.from(sk))).toBe(true)
  })

  it('a receipt signed by another guardian key is refused', async () => {
    const r = signReceipt(
      {
        vaultId,
        epoch: 1,
        version: 1,
        manifestHash: id32(),
        guardianKey: ed25519PublicKey(guardianSeed),
        createdAt: 5,
      },
      (d) => ed25519Sign(new Uint8Array(randomBytes(32)), d),
    )
    await expectCode(() => openReceipt(r.bytes), 'BAD_SIGNATURE')
  })

  it('roster shape: k and W cannot exceed n, guardians are unique', () => {
    const g = { peerId: id32(), addrs: [], label: 'a' }
    const base = { vaultId, epoch: 1, k: 2, w: 1, commitment: keys.commitment, guardians: [g], createdAt: 1 }
    expect(() => signRoster(base, sk)).toThrow(KithError)
    expect(() => signRoster({ ...base, k: 2, w: 3, guardians: [g, { ...g, peerId: id32() }] }, sk)).toThrow(
      KithError,
    )
    expect(() => signRoster({ ...base, guardians: [g, g] }, sk)).toThrow(KithError)
  })
})

describe('manifests', () => {
  it('body decrypts only with the key, and only for its own (vault, epoch, version)', async () => {
    const m = openManifest(manifest(1, ZERO_HASH).bytes, vaultId)
    const body = openManifestBody(m, keys.manifestKey)
    expect(body.files[0]!.path).toBe('channel.backup')
    expect(Array.from(body.vaultState!)).toEqual([1, 2, 3])
    await expectCode(() => openManifestBody(m, deriveDataKeys(id32()).manifestKey), 'DECRYPTION_FAILED')
    const other = openManifest(manifest(2, id32()).bytes)
    await expectCode(
      () => openManifestBody({ ...other, sealedBody: m.sealedBody }, keys.manifestKey),
      'DECRYPTION_FAILED',
    )
  })

  it('versions chain: +1, parent hash, same vault, epoch not lower', async () => {
    const v1 = openManifest(manifest(1, ZERO_HASH).bytes)
    const v2 = openManifest(manifest(2, v1.hash).bytes)
    verifySuccessor(v1, v2)
    await expectCode(() => verifySuccessor(v1, openManifest(manifest(3, v1.hash).bytes)), 'VERSION_CHAIN')
    await expectCode(() => verifySuccessor(v1, openManifest(manifest(2, id32()).bytes)), 'VERSION_CHAIN')
    await expectCode(() => verifySuccessor(v2, openManifest(manifest(3, v2.hash, 0).bytes)), 'VERSION_CHAIN')
    await expectCode(() => openManifest(v1.bytes, schnorrPublicKey(generateSecretKey())), 'WRONG_VAULT')
  })

  it('the manifest hash ignores the signature, so re-signing is not a different version', () => {
    const a = manifest(1, ZERO_HASH)
    expect(Buffer.from(openManifest(a.bytes).hash).equals(Buffer.from(a.hash))).toBe(true)
  })

  it('a manifest ends with its head signature, so its head can be rebuilt and verified without the key', () => {
    const m = openManifest(manifest(3, id32()).bytes)
    const head = openHead(headOfManifest(m).bytes)
    expect([head.version, head.epoch]).toEqual([3, 1])
    expect(Buffer.from(head.manifestHash).equals(Buffer.from(m.hash))).toBe(true)
    // a head signature never verifies as some other head
    const other = headFromSignature({ ...head, version: 4 }, m.bytes.subarray(m.bytes.length - 64))
    expect(() => openHead(other.bytes)).toThrow(/signature/)
  })

  it('version 1 must have the zero parent and later versions must not', () => {
    expect(() => manifest(1, id32())).toThrow(RangeError)
    expect(() => manifest(2, ZERO_HASH)).toThrow(RangeError)
  })
})
