/** Sizes and spans of time as people read them: "1.5 MiB", "20m", "3h ago". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = bytes / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}

/** A span of time in the largest unit that reads well: "45s", "20m", "24h", "7d". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s}s`
  // under ten minutes the seconds still matter (a 90 s delay is not "2m" while its countdown says 1:28)
  if (s < 600 && s % 60 !== 0) return `${Math.floor(s / 60)}m${s % 60}s`
  if (s < 5400) return `${Math.round(s / 60)}m`
  if (s < 129600) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86400)}d`
}

export const formatAgo = (ms: number): string => `${formatDuration(ms)} ago`

/** A span of time in words, for people who do not read "7d": "45 seconds", "20 minutes", "7 days". */
export function spellDuration(ms: number): string {
  const short = formatDuration(ms)
  const mixed = /^(\d+)m(\d+)s$/.exec(short)
  if (mixed) {
    const [m, s] = [Number(mixed[1]), Number(mixed[2])]
    return `${m} minute${m === 1 ? '' : 's'} ${s} second${s === 1 ? '' : 's'}`
  }
  const n = Number(short.slice(0, -1))
  const unit = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[short.slice(-1)] ?? ''
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}
