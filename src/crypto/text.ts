/**
 * bech32m (BIP350, via @scure/base) text forms for what people copy by hand. Each kind has its own
 * prefix, so a share pasted where a vault ID belongs is refused, not misread.
 */
import { bech32m } from '@scure/base'
import { InvalidTextFormError } from './errors.js'

/** Human-readable prefixes (docs/format.md §Text forms). */
export const TEXT_PREFIXES = {
  vault: 'kvault',
  invite: 'kinvite',
  share: 'kshare',
} as const

export type TextKind = keyof typeof TEXT_PREFIXES

const KIND_NAMES: Record<TextKind, string> = {
  vault: 'vault ID',
  invite: 'invite token',
  share: 'paper share',
}

/** Longest text form accepted; share envelopes are the longest at ~300 characters. */
const MAX_TEXT_LENGTH = 2048

export function encodeText(kind: TextKind, bytes: Uint8Array): string {
  return bech32m.encode(TEXT_PREFIXES[kind], bech32m.toWords(bytes), MAX_TEXT_LENGTH)
}

/** Decode a text form of `kind`; whitespace (line breaks on paper) is ignored, case must be uniform. */
export function decodeText(kind: TextKind, text: string): Uint8Array {
  const name = KIND_NAMES[kind]
  if (typeof text !== 'string') throw new InvalidTextFormError(name, 'not text')
  const compact = text.replace(/\s+/g, '')
  if (compact.length > MAX_TEXT_LENGTH) throw new InvalidTextFormError(name, 'too long')
  let decoded: { prefix: string; words: number[] }
  try {
    decoded = bech32m.decode(compact as `${string}1${string}`, MAX_TEXT_LENGTH)
  } catch {
    throw new InvalidTextFormError(name, 'bad checksum or characters')
  }
  if (decoded.prefix !== TEXT_PREFIXES[kind])
    throw new InvalidTextFormError(name, `wrong prefix ${decoded.prefix}`)
  try {
    return bech32m.fromWords(decoded.words)
  } catch {
    throw new InvalidTextFormError(name, 'bad padding')
  }
}
