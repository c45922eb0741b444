/**
 * What yargs says about bad input, made useful: an unknown option gets the option it most likely meant
 * (as yargs suggests commands), and a missing argument the command's usage line. Read from the command's
 * own help text, so it follows every command's options without a list of its own.
 */
import { CommandUsageError, UsageError } from './errors.js'

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  return d[a.length]![b.length]!
}

/** The option most like `typed` (at most 2 edits, or a prefix of it), if one is. */
export function closestOption(typed: string, options: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined
  for (const name of options) {
    const d = name.startsWith(typed) && typed.length >= 3 ? 1 : editDistance(typed, name)
    if (d <= Math.min(2, Math.max(1, Math.floor(name.length / 3))) && (best === undefined || d < best.d))
      best = { name, d }
  }
  return best?.name
}

/**
 * yargs' failure message and the failing command's help text, as the error kith says. yargs names an
 * unknown option and an unknown word alike (without dashes): `argv` tells them apart.
 */
export function usageFailure(message: string, help: string, argv: readonly string[]): UsageError {
  const lines = help.split('\n')
  const first = lines[0]?.trim() ?? ''
  // a command's help starts with its usage (`kith vault add-source <kind> <path>`); kith's own, with its title
  const usage = /^kith [a-z]/.test(first) ? first : ''
  const options = lines.flatMap((l) => [...l.matchAll(/(?:^|\s|,)--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))
  const unknown = /^Unknown arguments?: (.+)$/.exec(message)
  if (unknown) {
    const words = unknown[1]!.split(', ')
    const isOption = (w: string) =>
      argv.some((a) => a.replace(/=.*$/, '').replace(/^-+/, '') === w && a.startsWith('-'))
    if (!words.every(isOption)) return _withUsage(`unknown command or argument ${words.join(', ')}`, usage)
    const said = words.map((typed) => {
      const meant = closestOption(typed, options)
      return `--${typed}${meant !== undefined ? ` (did you mean --${meant}?)` : ''}`
    })
    return _withUsage(`unknown option ${said.join(', ')}`, usage)
  }
  return _withUsage(message, usage)
}

const _withUsage = (message: string, usage: string): UsageError =>
  usage === '' ? new UsageError(message) : new CommandUsageError(message, usage)
