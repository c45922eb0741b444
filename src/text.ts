/**
 * Text another party wrote (a guardian's error reply, a vault or guardian label, an address) is shown in
 * terminals, logs and alerts. Before it gets there it loses every control character (C0, C1, DEL: no
 * escape sequence can clear a screen or forge a line), every bidirectional override and isolate (no text
 * that reads differently than it is), and the invisible format characters; it is one line, of bounded
 * length. Labels are checked once where they are accepted, and cleaned again wherever they are shown.
 */
import { KithError } from './errors.js'

// Cc: C0 and C1 controls and DEL; Cf: format characters (bidi marks, embeddings, overrides and isolates,
// zero-width characters, soft hyphen, BOM, interlinear annotation); Zl, Zp: line and paragraph separators
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu

/** `text` with every unsafe character replaced by a space, and nothing else changed (column layouts stay). */
export const stripUnsafe = (text: string): string => text.replace(UNSAFE, ' ')

/** `text` as one safe line: unsafe characters become spaces, runs of spaces one, at most `max` long. */
export function cleanText(text: string, max = 300): string {
  const line = text.replace(UNSAFE, ' ').replace(/\s+/gu, ' ').trim()
  const chars = [...line]
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`
}

/** A label that is not printable text of bounded length. */
export class InvalidLabelError extends KithError {
  readonly code = 'INVALID_LABEL'
  constructor(what: string, max: number) {
    super(`the ${what} must be 1 to ${max} printable characters, on one line`, { what })
  }
}

/** Most characters in a label (a vault's or a guardian's name). */
export const MAX_LABEL = 64

/** Accept a label only if it is printable, one line, 1 to `max` characters, as given. */
export function checkLabel(label: string, what: string, max = MAX_LABEL): string {
  const n = [...label].length
  if (n === 0 || n > max || cleanText(label, max) !== label) throw new InvalidLabelError(what, max)
  return label
}
