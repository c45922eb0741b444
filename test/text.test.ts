/** Text another party wrote, made safe for a terminal, a log line or an alert (pure logic). */
import { describe, expect, it } from 'vitest'
import { checkLabel, cleanText, stripUnsafe } from '../src/text.js'

describe('text from other parties', () => {
  it('loses escape sequences, C1 controls, bidi overrides and isolates, and invisible characters', () => {
    const evil = '\x1b[2J\x1b[H\u009b31mok\r\n→ Bob: code 424-242\u202etxt.exe\u2066x\u2069\u200b\ufeffend'
    const clean = cleanText(evil)
    expect(clean).not.toMatch(/[\p{Cc}\p{Cf}]/u)
    expect(clean).toBe('[2J [H 31mok → Bob: code 424-242 txt.exe x end')
    expect(stripUnsafe('a\tb  c\x1b')).toBe('a b  c ')
  })

  it('is one line of bounded length', () => {
    expect(cleanText('x'.repeat(500), 20)).toBe(`${'x'.repeat(19)}…`)
    expect(cleanText('🚀'.repeat(30), 10)).toBe(`${'🚀'.repeat(9)}…`)
  })

  it('labels are accepted only as printable one-line text of bounded length', () => {
    expect(checkLabel("Zoë's NAS 🚀", 'name')).toBe("Zoë's NAS 🚀")
    for (const bad of ['', 'a\nb', '\x1b[31mred', 'evil\u202e', 'x'.repeat(65), ' padded '])
      expect(() => checkLabel(bad, 'name')).toThrow(expect.objectContaining({ code: 'INVALID_LABEL' }))
  })
})
