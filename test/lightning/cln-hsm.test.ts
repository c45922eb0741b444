import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BIP39_ENGLISH, bip39MnemonicValid, bip39Seed } from '../../src/lightning/bip39.js'
import {
  CLN_ENCRYPTED_HSM_SECRET_LEN,
  clnHsmForm,
  clnHsmNeedsPassphrase,
  clnNodeKey,
  openClnHsmSecret,
} from '../../src/lightning/cln-hsm.js'
import { expectCode, hex } from '../helpers/tmp.js'
import vectors from '../vectors/cln.json' with { type: 'json' }

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const utf8 = (s: string) => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))

const byName = (name: string) => vectors.hsmSecret.find((v) => v.name === name)!
const plainL1 = byName('pyln l1 (plain)')
const mnemonicL1 = byName('pyln l1 (mnemonic)')
const withPass = byName('generatehsm with passphrase')
const withoutPass = byName('generatehsm without passphrase')
const encrypted = byName('encrypted 0x01*32')
const L1_MNEMONIC = 'hockey enroll sure trip track rescue original plate abandon abandon abandon account'
/** argon2id with 256 MiB runs about 8 s on an idle core; give a busy machine room. */
const ARGON_TIMEOUT = 180_000

describe('BIP39 as libwally reads it', () => {
  it('carries the English list itself (the BIP39 file, by its SHA-256)', () => {
    expect(BIP39_ENGLISH).toHaveLength(2048)
    const text = `${BIP39_ENGLISH.join('\n')}\n`
    expect(createHash('sha256').update(text).digest('hex')).toBe(vectors.bip39.englishSha256)
  })

  it("validates libwally's vectors and derives their seeds (passphrase TREZOR)", () => {
    for (const [, mnemonic, seed] of vectors.bip39.vectors as string[][]) {
      expect(bip39MnemonicValid(mnemonic!)).toBe(true)
      expect(toHex(bip39Seed(utf8(mnemonic!), utf8('TREZOR')))).toBe(seed)
    }
  })

  it('refuses what libwally refuses: checksum, count, case, spacing, unknown words', () => {
    const abandon11 = Array(11).fill('abandon').join(' ')
    expect(bip39MnemonicValid(`${abandon11} about`)).toBe(true)
    for (const bad of [
      `${abandon11} abandon`, // checksum
      abandon11, // 11 words
      `${abandon11} about abandon`, // 13 words
      `${abandon11} About`,
      `${abandon11}  about`,
      ` ${abandon11} about`,
      `${abandon11} about `,
      `${abandon11} about\n`,
      `${abandon11} abouts`,
      '',
    ])
      expect(bip39MnemonicValid(bad)).toBe(false)
  })

  it('reads 27 and 30 words too, as libwally does (len_to_mask 36 and 40 bytes)', () => {
    // entropy of zeros: the checksum's bits come from SHA-256 of the zeros
    for (const [bytes, words] of [
      [36, 27],
      [40, 30],
    ] as const) {
      const entropy = new Uint8Array(bytes)
      const sha = createHash('sha256').update(entropy).digest()
      const bits = [...entropy, ...sha].map((b) => b.toString(2).padStart(8, '0')).join('')
      const list = Array.from(
        { length: words },
        (_, i) => BIP39_ENGLISH[parseInt(bits.slice(i * 11, i * 11 + 11), 2)]!,
      )
      expect(bip39MnemonicValid(list.join(' '))).toBe(true)
      list[words - 1] = list[words - 1] === 'zoo' ? 'abandon' : 'zoo'
      expect(bip39MnemonicValid(list.join(' '))).toBe(false)
    }
  })
})

describe('CLN hsm_secret', () => {
  it('tells the forms apart as detect_hsm_secret_type does', () => {
    expect(clnHsmForm(new Uint8Array(31))).toBeUndefined()
    expect(clnHsmForm(new Uint8Array(32))).toBe('plain')
    expect(clnHsmForm(randomBytes(CLN_ENCRYPTED_HSM_SECRET_LEN))).toBe('encrypted')
    expect(clnHsmForm(new Uint8Array(33))).toBe('mnemonic')
    expect(clnHsmForm(concat(new Uint8Array([1]), new Uint8Array(40)))).toBe('mnemonic-passphrase')
    expect(clnHsmNeedsPassphrase(hex(withPass.file))).toBe(true)
    expect(clnHsmNeedsPassphrase(hex(encrypted.file))).toBe(true)
    expect(clnHsmNeedsPassphrase(hex(withoutPass.file))).toBe(false)
    expect(clnHsmNeedsPassphrase(hex(plainL1.file))).toBe(false)
  })

  it("gives CLN's own node ids (and node keys) for its test nodes, plain and mnemonic", async () => {
    const fast = vectors.hsmSecret.filter((v) => v.form !== 'encrypted')
    expect(fast.length).toBe(14)
    for (const v of fast) {
      const opened = await openClnHsmSecret(hex(v.file), { passphrase: v.passphrase })
      expect([v.name, opened.form, toHex(opened.nodeId), toHex(opened.secret)]).toEqual([
        v.name,
        v.form,
        v.nodeId,
        v.secret,
      ])
      if (v.nodePrivateKey !== undefined)
        expect(toHex(clnNodeKey(opened.secret).privateKey)).toBe(v.nodePrivateKey)
    }
  })

  it('uses the whole 64-byte BIP39 seed as the secret, and its first 32 bytes for the node key', async () => {
    const opened = await openClnHsmSecret(hex(mnemonicL1.file))
    expect(opened.secret).toHaveLength(64)
    expect(toHex(opened.secret)).toBe(toHex(bip39Seed(utf8(L1_MNEMONIC))))
    expect(toHex(clnNodeKey(opened.secret.subarray(0, 32)).nodeId)).toBe(mnemonicL1.nodeId)
  })

  it('reads CLN tests/data/p2sh_wallet_hsm_secret (pyln l1) as plain', async () => {
    const file = concat(utf8('lightning-1'), new Uint8Array(21))
    expect(toHex(file)).toBe(plainL1.file)
    expect(toHex((await openClnHsmSecret(file)).nodeId)).toBe(plainL1.nodeId)
  })

  it('gives another random 32 bytes another node id', async () => {
    const opened = await openClnHsmSecret(randomBytes(32))
    expect(opened.form).toBe('plain')
    expect(opened.nodeId).toHaveLength(33)
    expect(toHex(opened.nodeId)).not.toBe(plainL1.nodeId)
  })

  it('reads the mnemonic up to a NUL, as tal_strndup does', async () => {
    const file = concat(hex(mnemonicL1.file), new Uint8Array([0]), utf8('ignored'))
    expect(toHex((await openClnHsmSecret(file)).nodeId)).toBe(mnemonicL1.nodeId)
  })

  it('refuses a file that is no form of hsm_secret with SOURCE_MISMATCH', async () => {
    const short = await expectCode(
      () => openClnHsmSecret(new Uint8Array(31), { source: 'node-a' }),
      'SOURCE_MISMATCH',
    )
    expect(short.message).toBe('node-a is not a CLN hsm_secret: 31 bytes, under the 32 of the shortest form')
    await expectCode(() => openClnHsmSecret(new Uint8Array(0)), 'SOURCE_MISMATCH')
    const cases = [
      concat(new Uint8Array(32), utf8(`${L1_MNEMONIC}\n`)), // a newline: CLN refuses it too
      concat(new Uint8Array(32), utf8(L1_MNEMONIC.replace('account', 'abandon'))), // checksum
      concat(new Uint8Array(32), utf8(L1_MNEMONIC.toUpperCase())),
      concat(new Uint8Array(1), randomBytes(40)),
      randomBytes(40), // looks like a mnemonic with a passphrase: refused before asking for one
      new Uint8Array(33),
      new Uint8Array(74),
    ]
    for (const file of cases) {
      const err = await expectCode(() => openClnHsmSecret(file), 'SOURCE_MISMATCH')
      expect((err as unknown as { facts: { reason: string } }).facts.reason).toMatch(/not a BIP39 mnemonic/)
    }
  })

  it('asks for the passphrase of a mnemonic stored with one, and refuses a wrong one', async () => {
    const file = hex(withPass.file)
    await expectCode(() => openClnHsmSecret(file), 'PASSPHRASE_NEEDED')
    const wrong = await expectCode(
      () => openClnHsmSecret(file, { passphrase: 'Test_passphrase' }),
      'WRONG_HSM_PASSPHRASE',
    )
    expect(wrong.message).not.toContain('passphrase:')
    await expectCode(() => openClnHsmSecret(file, { passphrase: '' }), 'WRONG_HSM_PASSPHRASE')
    // a passphrase for a mnemonic stored without one: lightningd refuses it (PASSPHRASE_NOT_NEEDED)
    const extra = await expectCode(
      () => openClnHsmSecret(hex(withoutPass.file), { passphrase: 'x' }),
      'WRONG_HSM_PASSPHRASE',
    )
    expect((extra as unknown as { facts: { reason: string } }).facts.reason).toBe('not-needed')
    // and a plain secret ignores one, as extract_plain_secret does
    expect(toHex((await openClnHsmSecret(hex(plainL1.file), { passphrase: 'x' })).nodeId)).toBe(
      plainL1.nodeId,
    )
  })

  it('asks for the passphrase of the encrypted form before any work', async () => {
    const err = await expectCode(() => openClnHsmSecret(hex(encrypted.file)), 'PASSPHRASE_NEEDED')
    expect(err.message).toContain('encrypted')
  })

  it(
    'opens an encrypted hsm_secret made by libsodium with its passphrase (argon2id, 256 MiB)',
    async () => {
      const opened = await openClnHsmSecret(hex(encrypted.file), { passphrase: encrypted.passphrase })
      expect([opened.form, toHex(opened.secret), toHex(opened.nodeId)]).toEqual([
        'encrypted',
        encrypted.secret,
        encrypted.nodeId,
      ])
    },
    ARGON_TIMEOUT,
  )

  it(
    'refuses a wrong passphrase for the encrypted form, naming neither',
    async () => {
      const err = await expectCode(
        () => openClnHsmSecret(hex(encrypted.file), { passphrase: 'test_passwore' }),
        'WRONG_HSM_PASSPHRASE',
      )
      expect(err.message).not.toMatch(/test_passw/)
    },
    ARGON_TIMEOUT,
  )

  it(
    'refuses an altered encrypted file with the right passphrase (its tag fails)',
    async () => {
      const file = hex(encrypted.file)
      file[40] = file[40]! ^ 1
      await expectCode(
        () => openClnHsmSecret(file, { passphrase: encrypted.passphrase }),
        'WRONG_HSM_PASSPHRASE',
      )
    },
    ARGON_TIMEOUT,
  )

  it('never puts the secret, the mnemonic or the passphrase in an error', async () => {
    const errors = await Promise.all([
      expectCode(
        () => openClnHsmSecret(hex(withPass.file), { passphrase: 'hunter2hunter2' }),
        'WRONG_HSM_PASSPHRASE',
      ),
      expectCode(
        () => openClnHsmSecret(concat(new Uint8Array(32), utf8(`${L1_MNEMONIC} x`))),
        'SOURCE_MISMATCH',
      ),
    ])
    for (const err of errors) {
      const text = `${err.message} ${JSON.stringify((err as unknown as { facts: unknown }).facts)}`
      expect(text).not.toMatch(/hunter2|hockey|ritual|account/)
    }
  })
})
