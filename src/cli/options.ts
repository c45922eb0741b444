/** Options many commands share: where the data lives, JSON output, the vault's passphrase file. */
import { formatDuration } from '../format.js'
import { type DurationName, duration } from '../time/durations.js'
import { DAY, durationFromText, HOUR, MINUTE, SECOND } from '../time/units.js'
import type { CliOption } from './command.js'

export const jsonOption: CliOption<boolean> = { type: 'boolean', default: false, describe: 'print JSON' }

export const dataDirOption = (defaultDir: string, describe: string): CliOption<string> => ({
  type: 'string',
  default: defaultDir,
  describe,
})

export const passphraseFileOption: CliOption<string | undefined> = {
  type: 'string',
  describe:
    "file holding the passphrase that seals the vault key ('-': standard input; KITH_PASSPHRASE_FILE)",
}

/**
 * A duration flag whose default is the table's entry (time/durations.ts), read when the command's
 * options are built (so KITH_DURATIONS changes it too) and shown as one would type it.
 */
export const durationOption = (name: DurationName, describe: string): CliOption<string> => ({
  type: 'string',
  describe,
  get default() {
    return _typed(duration(name))
  },
})

/** ms as a flag takes them: "2s", "60s", "24h", "7d" as kith says them, else in the largest exact unit. */
function _typed(ms: number): string {
  const short = formatDuration(ms)
  if (durationFromText(short) === ms) return short
  const whole = Math.max(1, Math.round(ms))
  const unit = (
    [
      ['d', DAY],
      ['h', HOUR],
      ['m', MINUTE],
      ['s', SECOND],
    ] as const
  ).find(([, u]) => whole % u === 0)
  return unit ? `${whole / unit[1]}${unit[0]}` : `${whole}ms`
}
