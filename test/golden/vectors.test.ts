/**
 * Golden vectors for kith's own formats: every committed test/vectors/kith-*.json is rebuilt from fixed
 * keys and inputs and must match byte for byte; then every record and message in them is decoded and
 * re-encoded to the same bytes. A change to any format shows up here first.
 * KITH_WRITE_VECTORS=1 rewrites the files (only when a format change is intended and documented).
 */

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requesterSigned, vaultSigned } from '../../src/ceremony/done.js'
import { openRelease } from '../../src/ceremony/release.js'
import { openCode } from '../../src/ceremony/request.js'
import { openVeto, signVeto } from '../../src/ceremony/veto.js'
import { decodeUnsigned, encodeRecordBody, type RecordDef } from '../../src/codec/record.js'
import { decodeKeyFile, encodeKeyFile } from '../../src/coordinator/vault-key-file.js'
import { eciesOpen } from '../../src/crypto/ecies.js'
import { decodeText } from '../../src/crypto/text.js'
import {
  JOURNAL_ENTRY,
  openEntry,
  openWriterCertificate,
  signWriterCertificate,
} from '../../src/journal/entry.js'
import { inviteFromText, inviteToText } from '../../src/p2p/invite.js'
import { MSG } from '../../src/p2p/messages.js'
import { CERTIFICATE, encodeCertificate } from '../../src/replica/certificate.js'
import { openChainChoice, signChainChoice } from '../../src/replica/choice.js'
import { openChunk } from '../../src/replica/chunk.js'
import { headFromSignature, openHead } from '../../src/replica/head.js'
import { openManifest, openManifestBody, sealManifest } from '../../src/replica/manifest.js'
import { decodeManifestBody, encodeManifestBody } from '../../src/replica/manifest-body.js'
import { openReceipt, signReceipt } from '../../src/replica/receipt.js'
import { openRoster, signRoster } from '../../src/replica/roster.js'
import { decodeVaultState, encodeVaultState } from '../../src/replica/vault-state.js'
import { openShareEnvelope, sealShareEnvelope } from '../../src/shares/share-envelope.js'
import { buildVectors, KEYS, seededRandom, VAULT_KEY } from './build.js'

const dir = join(import.meta.dirname, '..', 'vectors')
const built = await buildVectors()
const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'))
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))
const same = (a: Uint8Array, h: string) => expect(Buffer.from(a).toString('hex')).toBe(h)

if (process.env['KITH_WRITE_VECTORS'] === '1') {
  for (const [name, value] of Object.entries(built))
    await writeFile(join(dir, name), `${JSON.stringify(value, null, 2)}\n`)
}

describe('golden vectors: rebuilt from fixed inputs, byte for byte', () => {
  for (const name of Object.keys(built)) {
    it(name, async () => {
      expect(built[name]).toEqual(await read(name))
    })
  }
})

const { records } = await read('kith-records.json')

describe('golden vectors: every record decodes and re-encodes to the same bytes', () => {
  const byKind = (kind: number, nth = 0) =>
    (records as { kind: number; hex: string; passphrase?: string; hash?: string }[]).filter(
      (r) => r.kind === kind,
    )[nth]!
  it('roster (kind 1)', () => {
    const h = byKind(1).hex
    same(signRoster(openRoster(bytes(h)), VAULT_KEY, seededRandom('roster')).bytes, h)
  })
  it('share envelope (kind 2)', () => {
    const h = byKind(2).hex
    same(sealShareEnvelope(openShareEnvelope(bytes(h)), VAULT_KEY, seededRandom('share')).bytes, h)
  })
  it('manifest (kind 3) and its body (kind 4)', () => {
    const h = byKind(3).hex
    const m = openManifest(bytes(h))
    const body = openManifestBody(m, KEYS.manifestKey)
    same(sealManifest({ ...m, body }, KEYS.manifestKey, VAULT_KEY, seededRandom('manifest')).bytes, h)
    same(encodeManifestBody(decodeManifestBody(bytes(byKind(4).hex))), byKind(4).hex)
  })
  it('head (kind 5)', () => {
    const h = byKind(5).hex
    same(headFromSignature(openHead(bytes(h)), bytes(h).subarray(-64)).bytes, h)
  })
  it('receipt (kind 6)', () => {
    const h = byKind(6).hex
    const sig = bytes(h).subarray(-64)
    same(signReceipt(openReceipt(bytes(h)), () => sig).bytes, h)
  })
  it('invite (kind 7)', () => {
    const h = byKind(7).hex
    const text = inviteToText(inviteFromText((byKind(7) as unknown as { text: string }).text))
    same(decodeText('invite', text), h)
  })
  it('vault key file (kind 8) and secrets (kind 9), sealed and not', () => {
    const open = byKind(8, 0).hex
    const sealed = byKind(8, 1)
    same(encodeKeyFile(decodeKeyFile(bytes(open))), open)
    const secrets = decodeKeyFile(bytes(sealed.hex), sealed.passphrase)
    same(encodeKeyFile(secrets, sealed.passphrase, seededRandom('key-file')), sealed.hex)
    same(bytes(open).subarray(-80), byKind(9).hex)
  })
  it('vault state (kind 10)', () => {
    const h = byKind(10).hex
    same(encodeVaultState(decodeVaultState(bytes(h))), h)
  })
  it('commit certificate (kind 12)', () => {
    const h = byKind(12).hex
    const f = decodeUnsigned(CERTIFICATE, bytes(h))
    same(
      encodeCertificate(
        f.head,
        f.receipts.map((r) => r.receipt),
      ),
      h,
    )
  })
  it('veto (kind 11)', () => {
    const h = byKind(11).hex
    same(signVeto(openVeto(bytes(h)), VAULT_KEY, seededRandom('veto')).bytes, h)
  })
  it('writer certificate (kind 13) and stream entry (kind 14)', () => {
    const cert = openWriterCertificate(bytes(byKind(13).hex))
    same(signWriterCertificate(cert, VAULT_KEY, seededRandom('writer')).bytes, byKind(13).hex)
    const e = openEntry(bytes(byKind(14).hex), cert.writerKey)
    same(e.hash, byKind(14).hash!)
    same(encodeRecordBody(JOURNAL_ENTRY, decodeUnsigned(JOURNAL_ENTRY, e.bytes)), byKind(14).hex)
  })
  it('chain choice (kind 15)', () => {
    const c = openChainChoice(bytes(byKind(15).hex))
    same(signChainChoice(c, VAULT_KEY, seededRandom('chain')).bytes, byKind(15).hex)
  })
  it('protocol messages (kinds 16 and up)', async () => {
    const { messages } = await read('kith-messages.json')
    const defs = Object.values(MSG) as RecordDef[]
    const kinds = new Set<number>()
    for (const m of messages as { kind: number; hex: string }[]) {
      const def = defs.find((d) => d.kind === m.kind)!
      same(encodeRecordBody(def, decodeUnsigned(def, bytes(m.hex))), m.hex)
      kinds.add(m.kind)
    }
    expect([...kinds].sort((a, b) => a - b)).toEqual(defs.map((d) => d.kind).sort((a, b) => a - b))
    // the recovery done message verifies with the vault key and the request's recovery key
    const done = decodeUnsigned(
      MSG.done,
      bytes(messages.find((m: { kind: number }) => m.kind === MSG.done.kind)!.hex),
    )
    const { recovery } = await read('kith-recovery.json')
    expect(vaultSigned(done)).toBe(true)
    expect(requesterSigned(done, bytes(recovery.recoveryKey))).toBe(true)
  })
  it('a sealed chunk, an ECIES box and a released share open with their keys', async () => {
    const { chunk } = await read('kith-keys.json')
    expect(Buffer.from(openChunk(KEYS, bytes(chunk.id), bytes(chunk.stored))).toString('hex')).toBe(
      chunk.plaintext,
    )
    const { recovery, ecies } = await read('kith-recovery.json')
    const plainText = eciesOpen(bytes(ecies.recipientSecret), bytes(ecies.box), ecies.context)
    expect(Buffer.from(plainText).toString('hex')).toBe(ecies.plaintext)
    const share = openRelease(
      bytes(recovery.recoveryKeySecret),
      bytes(recovery.requestId),
      bytes(recovery.releasedShare.box),
    )
    same(share, byKind(2).hex)
    const code = openCode(
      bytes(recovery.recoveryKeySecret),
      bytes(recovery.requestId),
      bytes(recovery.sealedCode.box),
    )
    expect(code).toBe(recovery.sealedCode.code)
  })
})
