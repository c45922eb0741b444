/**
 * The one table of durations (src/time/durations.ts): sane defaults, in-process overrides that restore,
 * KITH_DURATIONS parsed strictly (a typo is an error, never ignored), and read by a spawned process.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_DURATIONS,
  type DurationName,
  duration,
  parseDurations,
  setDurations,
} from '../../src/time/durations.js'
import { DAY, durationFromText, MINUTE, SECOND } from '../../src/time/units.js'
import { expectCode } from '../helpers/tmp.js'

const run = promisify(execFile)
const dist = join(import.meta.dirname, '..', '..', 'dist', 'src')
const names = Object.keys(DEFAULT_DURATIONS) as DurationName[]

describe('the table of durations', () => {
  let restore: (() => void) | undefined
  afterEach(() => {
    restore?.()
    restore = undefined
  })

  it('every default is a finite number of ms above zero', () => {
    expect(names.length).toBeGreaterThan(40)
    const bad = names.filter((n) => !Number.isFinite(DEFAULT_DURATIONS[n]) || DEFAULT_DURATIONS[n] <= 0)
    expect(bad).toEqual([])
  })

  it('the defaults are in force when nothing overrides them', () => {
    // the test process runs without KITH_DURATIONS
    expect(process.env['KITH_DURATIONS'] ?? '').toBe('')
    for (const n of names) expect(duration(n)).toBe(DEFAULT_DURATIONS[n])
  })

  it('keeps the relations its comments promise', () => {
    const d = DEFAULT_DURATIONS
    expect(d.fetchSessionIdle).toBe(d.step)
    expect(d.relayHeadroom).toBeLessThan(d.relayStep)
    expect(d.announceQuiet).toBeLessThan(d.announceLatest)
    expect(d.retainQuiet).toBeLessThan(d.retainLatest)
    expect(d.removalGrace).toBe(7 * DAY)
  })

  it('setDurations overrides for every read after it, and its function restores', () => {
    restore = setDurations({ step: 200, removalGrace: 2 * SECOND })
    expect(duration('step')).toBe(200)
    expect(duration('removalGrace')).toBe(2 * SECOND)
    expect(duration('dial')).toBe(DEFAULT_DURATIONS.dial)
    restore()
    restore = undefined
    expect(duration('step')).toBe(DEFAULT_DURATIONS.step)
    expect(duration('removalGrace')).toBe(DEFAULT_DURATIONS.removalGrace)
  })

  it('nested overrides restore in turn', () => {
    const outer = setDurations({ step: 300 })
    const inner = setDurations({ step: 100 })
    expect(duration('step')).toBe(100)
    inner()
    expect(duration('step')).toBe(300)
    outer()
    expect(duration('step')).toBe(DEFAULT_DURATIONS.step)
  })

  it('setDurations refuses an unknown name, naming it, and applies nothing', () => {
    const overrides = { step: 100, stepp: 100 } as Partial<Record<DurationName, number>>
    expect(() => setDurations(overrides)).toThrow(TypeError)
    expect(() => setDurations(overrides)).toThrow(/stepp/)
    expect(duration('step')).toBe(DEFAULT_DURATIONS.step)
  })

  it('setDurations refuses a value that is not a finite number above zero, naming the entry', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => setDurations({ dial: bad })).toThrow(RangeError)
      expect(() => setDurations({ dial: bad })).toThrow(/dial/)
    }
    expect(() => setDurations({ dial: '5s' as unknown as number })).toThrow(TypeError)
    expect(duration('dial')).toBe(DEFAULT_DURATIONS.dial)
  })

  it('duration() refuses a name the table does not know', () => {
    expect(() => duration('nope' as DurationName)).toThrow(/unknown duration: nope/)
  })
})

describe('KITH_DURATIONS', () => {
  it('reads name=value pairs with the CLI duration syntax', () => {
    expect(parseDurations('')).toEqual({})
    expect(parseDurations('  ')).toEqual({})
    expect(parseDurations('step=2s, dial=500ms,removalGrace = 1m')).toEqual({
      step: 2 * SECOND,
      dial: 500,
      removalGrace: MINUTE,
    })
  })

  it('refuses an unknown name, naming it and the known ones', async () => {
    const err = await expectCode(() => parseDurations('step=2s,stepp=1s'), 'BAD_DURATIONS')
    expect(err.message).toMatch(/^KITH_DURATIONS: unknown name "stepp" \(known: .*\bstep\b/)
    expect(err.message).not.toContain('\n')
  })

  it('refuses a value that is not a duration above zero, naming the entry', async () => {
    for (const bad of [
      'step=2',
      'step=0s',
      'step=-1s',
      'step=fast',
      'step=',
      'step=1.5s',
      `step=${'9'.repeat(400)}d`,
    ]) {
      const err = await expectCode(() => parseDurations(bad), 'BAD_DURATIONS')
      expect(err.message).toMatch(/^KITH_DURATIONS: step=/)
    }
  })

  it('refuses a pair without "=", an empty pair and a name given twice', async () => {
    await expectCode(() => parseDurations('step'), 'BAD_DURATIONS')
    await expectCode(() => parseDurations('step=1s,'), 'BAD_DURATIONS')
    await expectCode(() => parseDurations('step=1s,,dial=1s'), 'BAD_DURATIONS')
    const twice = await expectCode(() => parseDurations('step=1s,step=2s'), 'BAD_DURATIONS')
    expect(twice.message).toContain('"step" is given twice')
  })

  it('values read as the CLI reads them', () => {
    expect(durationFromText('24h')).toBe(DAY)
    expect(durationFromText(' 7d ')).toBe(7 * DAY)
    expect(durationFromText('2W')).toBe(14 * DAY)
    expect(durationFromText('10')).toBeUndefined()
  })

  it('is read by a spawned process, and a typo stops the kith command before it does anything', async () => {
    const env = { ...process.env, KITH_DURATIONS: 'step=2s,antiEntropy=100ms' }
    const script = `import { duration } from ${JSON.stringify(join(dist, 'time', 'durations.js'))}
process.stdout.write(JSON.stringify([duration('step'), duration('antiEntropy'), duration('dial')]))`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env })
    expect(JSON.parse(stdout)).toEqual([2000, 100, DEFAULT_DURATIONS.dial])
    const typo = await run(process.execPath, [join(dist, 'cli', 'main.js'), 'vault', 'sources'], {
      env: { ...process.env, KITH_DURATIONS: 'stepp=2s' },
    }).then(
      () => ({ code: 0, stdout: '', stderr: 'it ran' }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    )
    expect(typo.code).toBe(1)
    expect(typo.stderr).toMatch(/^kith: KITH_DURATIONS: unknown name "stepp" .*\[BAD_DURATIONS\]$/m)
    expect(typo.stdout).toBe('')
  })
})
