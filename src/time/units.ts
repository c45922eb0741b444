/**
 * Units of time in milliseconds, and a duration as people type it ("500ms", "30s", "24h", "7d"): the one
 * syntax of the CLI's duration flags and of KITH_DURATIONS. Pure: it reads text, never the clock.
 */

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const WEEK = 7 * DAY

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK }

/** "500ms", "30m", "24h", "7d" -> milliseconds; undefined for anything else (a unit is required). */
export function durationFromText(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$/i.exec(text)
  return m === null ? undefined : Number(m[1]) * UNITS[m[2]!.toLowerCase()]!
}
