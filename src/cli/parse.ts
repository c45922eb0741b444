/** Parsing of human-typed sizes and durations, with the CLI's UsageError on anything else. */
import { durationFromText } from '../time/units.js'
import { UsageError } from './errors.js'

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

/** "500MB", "1GiB", "2048" -> bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()]
  if (m === null || unit === undefined) throw new UsageError(`not a size: ${text} (try 500MB or 2GiB)`)
  return Math.round(Number(m[1]) * unit)
}

/** "500ms", "30m", "24h", "7d" -> milliseconds (time/units.ts reads them). */
export function parseDuration(text: string): number {
  const ms = durationFromText(text)
  if (ms === undefined) throw new UsageError(`not a duration: ${text} (try 500ms, 30s, 24h or 7d)`)
  return ms
}
