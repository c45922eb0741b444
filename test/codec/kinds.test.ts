import { describe, expect, it } from 'vitest'
import { FIRST_MESSAGE_KIND, KIND, KINDS } from '../../src/codec/kinds.js'
import { MSG } from '../../src/p2p/messages.js'

describe('the kind registry', () => {
  it('maps every name to its number and back', () => {
    for (const [n, name] of Object.entries(KINDS)) expect(KIND[name]).toBe(Number(n))
  })

  it('gives every protocol message a number at or above the first message kind', () => {
    for (const def of Object.values(MSG)) expect(def.kind).toBeGreaterThanOrEqual(FIRST_MESSAGE_KIND)
  })

  it('gives every message definition a kind of its own', () => {
    const kinds = Object.values(MSG).map((d) => d.kind)
    expect(new Set(kinds).size).toBe(kinds.length)
  })
})
