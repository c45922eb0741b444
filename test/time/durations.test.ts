/**
 * The one table of durations (src/time/durations.ts): sane defaults, in-process overrides that restore,
 * KITH_DURATIONS parsed strictly (a typo is an error, never ignored; a spawned process reading it is
 * test/e2e/cli.test.ts), and no duration written anywhere else in src/.
 */
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_DURATIONS,
  type DurationName,
  duration,
  parseDurations,
  setDurations,
} from '../../src/time/durations.js'
import { DAY, durationFromText, MINUTE, SECOND } from '../../src/time/units.js'
import { tsFiles } from '../helpers/files.js'
import { expectCode } from '../helpers/tmp.js'

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

  it('never takes from the environment a default written into an invite or the plugin: its flag does', async () => {
    for (const [name, flag] of [
      ['releaseDelay', '--release-delay'],
      ['inviteExpiry', '--expires'],
      ['clnHold', '--hold'],
    ])
      expect((await expectCode(() => parseDurations(`${name}=1s`), 'BAD_DURATIONS')).message).toContain(flag)
    // a test in one process still may
    const undo = setDurations({ releaseDelay: 1000 })
    try {
      expect(duration('releaseDelay')).toBe(1000)
    } finally {
      undo()
    }
  })

  it('values read as the CLI reads them', () => {
    expect(durationFromText('24h')).toBe(DAY)
    expect(durationFromText(' 7d ')).toBe(7 * DAY)
    expect(durationFromText('2W')).toBe(14 * DAY)
    expect(durationFromText('10')).toBeUndefined()
  })
})

/** A number as written in source ("15_000", "3000"), if it is one. */
const _number = (text: string) => Number(text.replace(/_/g, ''))

/**
 * Where `text` calls a timer with a number above 999 written inline, or a span built of time/units.ts
 * constants (`5 * SECOND`) instead of a duration from the table: "file:line: the call".
 */
function inlineWaits(file: string, text: string): string[] {
  const found: string[] = []
  for (const m of text.matchAll(/\b(?:setTimeout|setInterval|AbortSignal\.timeout)\s*\(/g)) {
    // the call's arguments, up to its closing parenthesis
    let depth = 1
    let end = m.index + m[0].length
    while (end < text.length && depth > 0) {
      if (text[end] === '(') depth++
      else if (text[end] === ')') depth--
      end++
    }
    const call = text.slice(m.index, end)
    const numbers = [...call.matchAll(/(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w.])/g)].map((n) => _number(n[0]))
    if (numbers.some((n) => n > 999) || /\b(?:SECOND|MINUTE|HOUR|DAY|WEEK)\b/.test(call)) {
      const line = text.slice(0, m.index).split('\n').length
      found.push(`${file}:${line}: ${call.replace(/\s+/g, ' ').slice(0, 80)}`)
    }
  }
  return found
}

/** Constants and fields named as durations (FOO_MS, fooMs, fooTimeout) given a number above 999. */
function namedWaits(file: string, text: string): string[] {
  const found: string[] = []
  const named = /\b(\w*(?:_MS|Ms|Timeout|TIMEOUT))\s*[:=]\s*([^,;\n)}]*)/g
  for (const m of text.matchAll(named)) {
    const numbers = [...m[2]!.matchAll(/(?<![\w.])\d[\d_]*(?![\w.])/g)].map((n) => _number(n[0]))
    if (numbers.some((n) => n > 999)) {
      const line = text.slice(0, m.index).split('\n').length
      found.push(`${file}:${line}: ${m[0].slice(0, 80)}`)
    }
  }
  return found
}

describe('the table is the one place durations are written', async () => {
  const root = join(import.meta.dirname, '..', '..', 'src')
  const sources = await Promise.all(
    (await tsFiles(root)).map(async (f) => [relative(root, f), await readFile(f, 'utf8')] as const),
  )
  const outside = sources.filter(([file]) => !file.startsWith('time/'))

  it('no timer in src/ is given a number of ms above 999, or a span of units, written inline', () => {
    expect(outside.flatMap(([file, text]) => inlineWaits(file, text))).toEqual([])
  })

  it('no constant or field named as a duration holds one written inline', () => {
    expect(outside.flatMap(([file, text]) => namedWaits(file, text))).toEqual([])
  })

  it('every entry of the table is read somewhere (an unused one would shorten nothing)', () => {
    const unused = names.filter((n) => !outside.some(([, text]) => text.includes(`'${n}'`)))
    expect(unused).toEqual([])
  })

  it('only time/ reads the defaults; everything else asks duration()', () => {
    expect(outside.filter(([, text]) => text.includes('DEFAULT_DURATIONS')).map(([f]) => f)).toEqual([])
  })

  it('the scans see what they look for', () => {
    const sample = [
      'setTimeout(() => go(), 15_000)',
      'await new Promise((r) => setTimeout(r, Math.min(left, 2000)))',
      'fetch(url, { signal: AbortSignal.timeout(3000) })',
      'setInterval(tick, 1000)',
      'setTimeout(done, ms)',
      "AbortSignal.timeout(duration('step'))",
      'setTimeout(r, 50)',
      'setInterval(flush, 10 * SECOND)',
    ].join('\n')
    expect(inlineWaits('x.ts', sample).map((f) => f.split(':')[1])).toEqual(['1', '2', '3', '4', '8'])
    const named = [
      'const PROOF_TIMEOUT_MS = 5000',
      '  upgradeTimeoutMs: 5000,',
      'server.headersTimeout = 10_000',
      'const RECENT_MS = 3 * DAY',
      'const MAX_BYTES = 4096',
      "server.requestTimeout = duration('pageRequest')",
    ].join('\n')
    expect(namedWaits('x.ts', named).map((f) => f.split(':')[1])).toEqual(['1', '2', '3'])
  })
})
