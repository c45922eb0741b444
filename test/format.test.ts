/** Spans of time as people read them: short (status lines) and spelled (the friend's page, notices). */
import { describe, expect, it } from 'vitest'
import { formatDuration, spellDuration } from '../src/format.js'

describe('durations shown', () => {
  it('keep the seconds under ten minutes, so a delay and its countdown agree', () => {
    expect(formatDuration(45_000)).toBe('45s')
    expect(formatDuration(90_000)).toBe('1m30s')
    expect(formatDuration(120_000)).toBe('2m')
    expect(formatDuration(599_000)).toBe('9m59s')
    expect(formatDuration(24 * 3_600_000)).toBe('24h')
    expect(spellDuration(90_000)).toBe('1 minute 30 seconds')
    expect(spellDuration(60_000)).toBe('60 seconds')
    expect(spellDuration(7 * 86_400_000)).toBe('7 days')
  })
})
