/**
 * The commit certificate (docs/format.md §Commit certificate, kind 12): a version's signed head and the
 * receipts of the W guardians that hold it durably. It proves the version was committed to anyone who
 * trusts the roster, without asking those guardians: a guardian that hides or rolls back a version cannot
 * unsay its receipt. It is unsigned; the signatures inside it are the proof, each one checked.
 */
import { decodeUnsigned, defineRecord, encodeRecordBody } from '../codec/record.js'
import { defineSchema, field } from '../codec/schema.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { HEAD, type Head, openHead } from './head.js'
import { openReceipt, RECEIPT } from './receipt.js'

const receiptItem = defineSchema('certificate receipt', { receipt: field.varbytes(1, RECEIPT.maxBytes) })

const schema = defineSchema('commit certificate', {
  head: field.varbytes(1, HEAD.maxBytes),
  receipts: field.list(2, receiptItem, 255, RECEIPT.maxBytes + 16),
})

export const CERTIFICATE = defineRecord({
  kind: 'certificate',
  schema,
  version: 1,
  maxBytes: 72 * 1024,
  signed: false,
})

/** A certificate that does not prove its version committed under the roster it is checked against. */
export class InvalidCertificateError extends KithError {
  readonly code = 'INVALID_CERTIFICATE'
  constructor(reason: string) {
    super(`the commit certificate does not prove a commit: ${reason}`, { reason })
  }
}

/** Bundle a version's signed head and its guardians' receipts. */
export function encodeCertificate(head: Uint8Array, receipts: readonly Uint8Array[]): Uint8Array {
  return encodeRecordBody(CERTIFICATE, { head, receipts: receipts.map((receipt) => ({ receipt })) })
}

export interface CommitProof {
  readonly head: Head
  /** Ed25519 keys (hex) of the guardians whose receipts count: they hold the version durably. */
  readonly holders: readonly string[]
}

/**
 * Check a certificate against a roster the caller trusts: the head is vault-signed, and at least `w`
 * distinct guardians of `keys` (their raw Ed25519 keys, hex) signed receipts for exactly that manifest.
 */
export function openCertificate(
  bytes: Uint8Array,
  roster: { readonly vaultId: Uint8Array; readonly w: number; readonly keys: ReadonlySet<string> },
): CommitProof {
  const f = decodeUnsigned(CERTIFICATE, bytes)
  const head = openHead(f.head)
  if (!equalBytes(head.vaultId, roster.vaultId)) throw new InvalidCertificateError('another vault')
  const holders = new Set<string>()
  for (const { receipt } of f.receipts) {
    const r = openReceipt(receipt)
    if (!equalBytes(r.vaultId, head.vaultId) || r.version !== head.version)
      throw new InvalidCertificateError('a receipt for another version')
    if (!equalBytes(r.manifestHash, head.manifestHash))
      throw new InvalidCertificateError('a receipt for another manifest')
    const key = toHex(r.guardianKey)
    if (!roster.keys.has(key)) continue // a guardian the trusted roster no longer names does not count
    holders.add(key)
  }
  if (holders.size < roster.w)
    throw new InvalidCertificateError(`${holders.size} receipts from the roster, ${roster.w} needed`)
  return { head, holders: [...holders] }
}
