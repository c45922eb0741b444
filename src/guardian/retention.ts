/**
 * Which versions of a vault a guardian keeps (docs/guardian.md §Good to know): the newest N, plus the
 * newest version of each of the last D days and W weeks that have versions (restic's keep-daily and
 * keep-weekly). Pure: the store deletes what this leaves out. The newest version is always kept.
 */
import { DAY } from '../time/units.js'

export interface RetentionPolicy {
  /** Newest versions kept whatever their age. */
  readonly keepLast: number
  /** Days (UTC) with versions, newest first, whose last version is kept. */
  readonly daily: number
  /** ISO weeks (Monday to Sunday, UTC) with versions, newest first, whose last version is kept. */
  readonly weekly: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: 30, daily: 14, weekly: 8 }

export interface VersionInfo {
  readonly version: number
  /** ms since the Unix epoch, from the signed manifest. */
  readonly createdAt: number
}

/** Keep the newest version of each of the `count` newest buckets. */
function _newestPerBucket(
  newestFirst: readonly VersionInfo[],
  bucket: (v: VersionInfo) => number,
  count: number,
): number[] {
  const out: number[] = []
  let last: number | undefined
  for (const v of newestFirst) {
    if (out.length === count) break
    const b = bucket(v)
    if (b === last) continue
    last = b
    out.push(v.version)
  }
  return out
}

export function versionsToKeep(
  versions: readonly VersionInfo[],
  policy: RetentionPolicy = DEFAULT_RETENTION,
): Set<number> {
  const newestFirst = [...versions].sort((a, b) => b.version - a.version)
  const day = (v: VersionInfo) => Math.floor(v.createdAt / DAY)
  // 1970-01-01 was a Thursday; shifting by 3 days makes weeks start on Monday
  const week = (v: VersionInfo) => Math.floor((day(v) + 3) / 7)
  const keep = new Set<number>(newestFirst.slice(0, Math.max(1, policy.keepLast)).map((v) => v.version))
  for (const v of _newestPerBucket(newestFirst, day, policy.daily)) keep.add(v)
  for (const v of _newestPerBucket(newestFirst, week, policy.weekly)) keep.add(v)
  return keep
}
