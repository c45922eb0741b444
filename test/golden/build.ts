/**
 * Builds kith's golden vectors (test/vectors/kith-*.json) from fixed keys and inputs: the exact bytes
 * of every record kind and protocol message, the key schedule, the gear table, a sealed chunk, an ECIES
 * box, a recovery request id and a sealed phone code, drill proofs, text forms and a sealed key file.
 * Randomness (BIP340 aux_rand, nonces, salts, ephemeral keys) comes from a seeded stream, so every
 * byte is reproducible. vectors.test.ts rebuilds them all and compares with the committed files.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as secp from '@noble/secp256k1'
import { signDone } from '../../src/ceremony/done.js'
import { chunkProof, shareProof } from '../../src/ceremony/drill.js'
import { sealRelease } from '../../src/ceremony/release.js'
import { recoveryRequestId, sealCode } from '../../src/ceremony/request.js'
import { signVeto } from '../../src/ceremony/veto.js'
import { encodeRecordBody, type RecordDef } from '../../src/codec/record.js'
import type { SchemaFields, Values } from '../../src/codec/schema.js'
import { encodeKeyFile } from '../../src/coordinator/vault-key-file.js'
import { concatBytes } from '../../src/crypto/bytes.js'
import { eciesSeal } from '../../src/crypto/ecies.js'
import { ed25519PublicKey, ed25519Sign } from '../../src/crypto/ed25519.js'
import { sha256 } from '../../src/crypto/hash.js'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import type { RandomBytes } from '../../src/crypto/random.js'
import { schnorrPublicKey } from '../../src/crypto/schnorr.js'
import { decodeText, encodeText } from '../../src/crypto/text.js'
import { genesisHash, makeEntry, signWriterCertificate } from '../../src/journal/entry.js'
import { inviteToText } from '../../src/p2p/invite.js'
import { MSG } from '../../src/p2p/messages.js'
import { sealAddressRecord } from '../../src/p2p/peer-records.js'
import { encodeCertificate } from '../../src/replica/certificate.js'
import { signChainChoice } from '../../src/replica/choice.js'
import { sealChunk } from '../../src/replica/chunk.js'
import { gearTable } from '../../src/replica/chunker.js'
import { headOfManifest, sealManifest } from '../../src/replica/manifest.js'
import { encodeManifestBody, type ManifestBody } from '../../src/replica/manifest-body.js'
import { signReceipt } from '../../src/replica/receipt.js'
import { signRoster } from '../../src/replica/roster.js'
import { encodeVaultState } from '../../src/replica/vault-state.js'
import { sealShareEnvelope, shareEnvelopeToText } from '../../src/shares/share-envelope.js'

/** A reproducible byte stream: SHA-256(label || counter) blocks. Never for anything but vectors. */
export function seededRandom(label: string): RandomBytes {
  let counter = 0
  let pool: Uint8Array = new Uint8Array(0)
  return (length) => {
    while (pool.length < length) {
      const block = sha256(
        new TextEncoder().encode(label),
        Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter),
      )
      counter++
      pool = concatBytes(pool, block)
    }
    const out = pool.slice(0, length)
    pool = pool.slice(length)
    return out
  }
}

/** A fixed 32-byte value named by `label`. */
export const fixed = (label: string): Uint8Array => sha256(new TextEncoder().encode(`kith-vector/${label}`))

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Uint8Arrays as hex, recursively, for JSON. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return hex(value)
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

export const VAULT_KEY = fixed('vault-key')
export const DATA_KEY = fixed('data-key')
export const VAULT_ID = schnorrPublicKey(VAULT_KEY)
export const KEYS = deriveDataKeys(DATA_KEY)
export const CREATED_AT = 1_767_225_600_000 // 2026-01-01T00:00:00Z

async function peer(label: string) {
  const seed = fixed(label)
  const privateKey = await generateKeyPairFromSeed('Ed25519', seed)
  const id = peerIdFromPrivateKey(privateKey)
  return { seed, privateKey, peerId: id.toMultihash().bytes, text: id.toString() }
}

export async function buildVectors(): Promise<Record<string, unknown>> {
  const coordinator = await peer('coordinator')
  const guardians = await Promise.all([1, 2, 3].map((i) => peer(`guardian-${i}`)))

  // ---- key schedule, gear table, chunk ----
  const keySchedule = {
    dataKey: DATA_KEY,
    salt: 'kith/v1/key-schedule',
    subkeys: KEYS,
    gearTableFirst16: [...gearTable(KEYS.gearSeed).subarray(0, 16)].map((w) =>
      w.toString(16).padStart(8, '0'),
    ),
  }
  const chunkPlain = new TextEncoder().encode('a small chunk of channel state')
  const chunk = sealChunk(KEYS, chunkPlain)

  // ---- records (docs/format.md §Records) ----
  const roster = signRoster(
    {
      vaultId: VAULT_ID,
      epoch: 3,
      k: 2,
      w: 2,
      commitment: KEYS.commitment,
      coordinator: coordinator.peerId,
      guardians: guardians.map((g, i) => ({
        peerId: g.peerId,
        addrs: [`/ip4/192.0.2.${i + 1}/tcp/4646`],
        label: `friend ${i + 1}`,
      })),
      createdAt: CREATED_AT,
    },
    VAULT_KEY,
    seededRandom('roster'),
  )
  const share = sealShareEnvelope(
    { vaultId: VAULT_ID, epoch: 3, x: 2, k: 2, n: 3, share: fixed('share-y'), commitment: KEYS.commitment },
    VAULT_KEY,
    seededRandom('share'),
  )
  const vaultState = encodeVaultState({ vaultKey: VAULT_KEY, name: "alice's node", k: 2, w: 2 })
  const body: ManifestBody = {
    sources: [
      { name: 'lnd-scb', kind: 'lnd-scb', origin: '/home/alice/.lnd/channel.backup' },
      { name: 'db', kind: 'sqlite', origin: '/home/alice/.lightning/bitcoin/lightningd.sqlite3' },
    ],
    files: [
      {
        source: 'lnd-scb',
        path: 'channel.backup',
        mode: 0o600,
        size: chunkPlain.length,
        mtime: CREATED_AT - 1000,
        contentHash: fixed('content-hash'),
        chunks: [chunk.id],
      },
      {
        source: 'db',
        path: 'lightningd.sqlite3',
        mode: 0o644,
        size: 65_536,
        mtime: CREATED_AT - 2000,
        contentHash: fixed('content-hash-2'),
        chunks: [fixed('chunk-b'), chunk.id],
      },
    ],
    vaultState,
  }
  const manifest = sealManifest(
    {
      vaultId: VAULT_ID,
      epoch: 3,
      version: 7,
      parent: fixed('parent-manifest'),
      createdAt: CREATED_AT,
      chunks: [
        { id: chunk.id, size: chunk.stored.length },
        { id: fixed('chunk-b'), size: 65_577 },
      ],
      body,
    },
    KEYS.manifestKey,
    VAULT_KEY,
    seededRandom('manifest'),
  )
  const head = headOfManifest(manifest)
  const guardian = guardians[0]!
  const receipt = signReceipt(
    {
      vaultId: VAULT_ID,
      epoch: 3,
      version: 7,
      manifestHash: manifest.hash,
      guardianKey: ed25519PublicKey(guardian.seed),
      createdAt: CREATED_AT + 5,
    },
    (d) => ed25519Sign(guardian.seed, d),
  )
  const invite = {
    peerId: guardian.peerId,
    addrs: ['/ip4/192.0.2.1/tcp/4646', '/dns4/friend.example/tcp/4646'],
    secret: fixed('invite-secret'),
    quota: 1_073_741_824,
    expiresAt: CREATED_AT + 7 * 86_400_000,
    label: 'bob',
  }
  const inviteText = inviteToText(invite)
  const secrets = { vaultKey: VAULT_KEY, kek: fixed('kek') }
  const keyFileOpen = encodeKeyFile(secrets)
  const keyFileSealed = encodeKeyFile(secrets, 'correct horse battery staple', seededRandom('key-file'))
  const recoveryKeySecret = fixed('recovery-key')
  const recoveryKey = secp.getPublicKey(recoveryKeySecret, true)
  const requestId = recoveryRequestId(VAULT_ID, recoveryKey)
  const veto = signVeto(
    { vaultId: VAULT_ID, requestId, createdAt: CREATED_AT + 9 },
    VAULT_KEY,
    seededRandom('veto'),
  )

  const certificate = encodeCertificate(head.bytes, [receipt.bytes])
  const writerSeed = fixed('writer-key')
  const writer = signWriterCertificate(
    {
      vaultId: VAULT_ID,
      journal: 'cln-db',
      writerKey: ed25519PublicKey(writerSeed),
      createdAt: CREATED_AT + 10,
    },
    VAULT_KEY,
    seededRandom('writer'),
  )
  const entry = makeEntry({
    vaultId: VAULT_ID,
    journal: 'cln-db',
    position: 42,
    prev: genesisHash(VAULT_ID, 'cln-db', 41),
    plaintext: new TextEncoder().encode('["UPDATE vars SET intval=42 WHERE name=\'data_version\';"]'),
    journalKey: fixed('stream-key'),
    sign: (m) => ed25519Sign(writerSeed, m),
    random: seededRandom('entry'),
  })
  // the owner's chain after a fork: versions 1 and 2 (the manifest above is version 2's), opening epoch 4
  const choice = signChainChoice(
    {
      vaultId: VAULT_ID,
      epoch: 4,
      first: 1,
      version: 2,
      hashes: concatBytes(fixed('version-1-hash'), manifest.hash),
      createdAt: CREATED_AT + 11,
    },
    VAULT_KEY,
    seededRandom('chain'),
  )
  const records = [
    { kind: 1, record: 'roster', section: 'Roster', hex: roster.bytes },
    {
      kind: 2,
      record: 'share envelope',
      section: 'Share envelope',
      hex: share.bytes,
      text: shareEnvelopeToText(share),
    },
    { kind: 3, record: 'manifest', section: 'Manifest', hex: manifest.bytes, hash: manifest.hash },
    { kind: 4, record: 'manifest body', section: 'Manifest body', hex: encodeManifestBody(body) },
    { kind: 5, record: 'head', section: 'Head', hex: head.bytes },
    { kind: 6, record: 'receipt', section: 'Receipt', hex: receipt.bytes },
    { kind: 7, record: 'invite', section: 'Invite', hex: decodeText('invite', inviteText), text: inviteText },
    { kind: 8, record: 'vault key file (unsealed)', section: 'Vault key file', hex: keyFileOpen },
    {
      kind: 8,
      record: 'vault key file (sealed, scrypt log_n 17)',
      section: 'Vault key file',
      passphrase: 'correct horse battery staple',
      hex: keyFileSealed,
    },
    {
      kind: 9,
      record: 'vault secrets',
      section: 'Vault key file',
      hex: keyFileOpen.subarray(keyFileOpen.length - 80),
    },
    { kind: 10, record: 'vault state', section: 'Vault state', hex: vaultState },
    { kind: 11, record: 'veto', section: 'Recovery', hex: veto.bytes },
    { kind: 12, record: 'commit certificate', section: 'Commit certificate', hex: certificate },
    { kind: 13, record: 'writer certificate', section: 'Live stream', hex: writer.bytes },
    { kind: 14, record: 'stream entry', section: 'Live stream', hex: entry.bytes, hash: entry.hash },
    { kind: 15, record: 'chain choice', section: 'Chain choice', hex: choice.bytes },
  ]

  // ---- protocol messages (docs/format.md §Protocol messages) ----
  const released = sealRelease(recoveryKey, requestId, share.bytes, seededRandom('release'))
  const sealedCode = sealCode(recoveryKey, requestId, '042-917', seededRandom('code'))
  const nonce = fixed('drill-nonce')
  const msg = <S extends SchemaFields>(def: RecordDef<S>, values: Values<S>) => ({
    kind: def.kind,
    message: def.schema.record,
    hex: encodeRecordBody(def, values),
  })
  const messages = [
    msg(MSG.error, { code: 'NOT_HELD', message: 'this guardian does not hold what was asked for' }),
    msg(MSG.enroll, {
      secret: invite.secret,
      roster: roster.bytes,
      share: share.bytes,
      label: "alice's node",
    }),
    msg(MSG.enrolled, { quota: invite.quota }),
    msg(MSG.offer, { manifest: manifest.bytes }),
    msg(MSG.need, { chunks: [fixed('chunk-b')] }),
    msg(MSG.chunk, { id: chunk.id, data: chunk.stored }),
    msg(MSG.receipt, { receipt: receipt.bytes }),
    msg(MSG.fetch, { vaultId: VAULT_ID, what: 'manifest', version: 7 }),
    msg(MSG.fetch, { vaultId: VAULT_ID, what: 'chunk', chunkId: chunk.id }),
    msg(MSG.fetched, { data: head.bytes }),
    msg(MSG.evidence, { held: head.bytes, offered: head.bytes }),
    msg(MSG.roster, { roster: roster.bytes, share: share.bytes }),
    msg(MSG.roster, { roster: roster.bytes }),
    msg(MSG.roster, { roster: roster.bytes, share: share.bytes, choice: choice.bytes }),
    msg(MSG.ack, {}),
    msg(MSG.recover, { vaultId: VAULT_ID, recoveryKey }),
    msg(MSG.recovery, {
      requestId,
      state: 'released',
      releaseAt: 0,
      roster: roster.bytes,
      sealedShare: released,
    }),
    msg(MSG.recovery, { requestId, state: 'pending', sealedCode }),
    msg(MSG.veto, { veto: veto.bytes }),
    msg(
      MSG.done,
      signDone(
        { vaultId: VAULT_ID, requestId, createdAt: CREATED_AT + 2 },
        { vaultSecretKey: VAULT_KEY, recoverySecretKey: recoveryKeySecret },
        seededRandom('done'),
      ),
    ),
    msg(MSG.requests, { requests: [{ requestId, createdAt: CREATED_AT + 1 }] }),
    msg(MSG.requests, { requests: [], recovered: [{ requestId, createdAt: CREATED_AT + 1 }] }),
    msg(MSG.drill, { vaultId: VAULT_ID, nonce, chunks: [chunk.id, fixed('chunk-b')] }),
    msg(MSG.enrollHello, { secret: invite.secret }),
    msg(MSG.certify, { certificate }),
    msg(MSG.freshness, { held: head.bytes, certificate }),
    msg(MSG.fetch, { vaultId: VAULT_ID, what: 'freshness' }),
    msg(MSG.fetch, { vaultId: VAULT_ID, what: 'entries', journal: 'cln-db', version: 42 }),
    msg(MSG.addresses, {
      records: [
        {
          record: await sealAddressRecord(
            guardians[0]!.privateKey,
            ['/ip4/203.0.113.7/tcp/4646'],
            CREATED_AT,
          ),
        },
      ],
    }),
    msg(MSG.journalOpen, { certificate: writer.bytes }),
    msg(MSG.journalState, { position: 41, hash: genesisHash(VAULT_ID, 'cln-db', 41) }),
    msg(MSG.entry, { entry: entry.bytes }),
    msg(MSG.entryAck, { position: 42 }),
    msg(MSG.journalEntries, { certificate: writer.bytes, entries: [{ entry: entry.bytes }] }),
    msg(MSG.drilled, {
      shareProof: shareProof(sha256(share.bytes), nonce),
      chunkProofs: [chunkProof(nonce, chunk.stored), new Uint8Array(32)],
      head: head.bytes,
    }),
    msg(MSG.releaseOffer, {
      vaultId: VAULT_ID,
      name: 'kith-0.1.0-linux-x64',
      sha256: sha256(chunk.stored),
      size: chunk.stored.length,
    }),
    msg(MSG.releaseAnswer, { answer: 'send' }),
    msg(MSG.releaseAnswer, { answer: 'have' }),
    msg(MSG.releasePart, { data: chunk.stored }),
  ]

  // ---- recovery ceremony, ECIES, drill ----
  const recovery = {
    vaultId: VAULT_ID,
    recoveryKeySecret,
    recoveryKey,
    requestId,
    sealedCode: { context: `recovery-code/${hex(requestId)}`, code: '042-917', box: sealedCode },
    releasedShare: { context: `share-release/${hex(requestId)}`, box: released },
    drill: {
      nonce,
      envelopeHash: sha256(share.bytes),
      shareProof: shareProof(sha256(share.bytes), nonce),
      chunkProof: chunkProof(nonce, chunk.stored),
    },
  }
  const eciesPlain = new TextEncoder().encode('ecies vector plaintext')
  const ecies = {
    recipientSecret: recoveryKeySecret,
    recipient: recoveryKey,
    context: 'vector',
    plaintext: eciesPlain,
    randomLabel: 'ecies',
    box: eciesSeal(recoveryKey, eciesPlain, 'vector', seededRandom('ecies')),
  }

  const source =
    'kith formats (docs/format.md), rebuilt by test/golden/vectors.test.ts from test/golden/build.ts'
  return {
    'kith-keys.json': plain({
      source,
      keySchedule,
      chunk: { plaintext: chunkPlain, id: chunk.id, mac: chunk.mac, stored: chunk.stored },
      text: {
        vault: encodeText('vault', VAULT_ID),
        share: shareEnvelopeToText(share),
        invite: inviteText,
      },
    }),
    'kith-records.json': plain({
      source,
      vaultKey: VAULT_KEY,
      vaultId: VAULT_ID,
      peers: { coordinator: coordinator.text, guardians: guardians.map((g) => g.text) },
      records,
    }),
    'kith-messages.json': plain({ source, messages }),
    'kith-recovery.json': plain({ source, recovery, ecies }),
  }
}
