/**
 * Config files a human edits (guardian.json, cln-plugin.json, the CLI's config.json): parsed as JSON
 * with the line and column of the first mistake, then read field by field, typed, so a typo is named
 * as what it is (CONFIG_INVALID) and an unknown field is never silently ignored. Never quotes the
 * file's text back: a webhook URL in it may hold a token.
 */
import { cleanText } from '../text.js'
import { ConfigInvalidError } from './errors.js'

/** Where JSON.parse stopped, and what it expected there (found by a small scanner of our own). */
class _JsonStop extends Error {
  constructor(
    readonly at: number,
    readonly why: string,
  ) {
    super(why)
  }
}

const _SPACE = new Set([' ', '\t', '\n', '\r'])
const _NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/

/** A scanner that walks JSON only to find where it breaks: JSON.parse names no position for some mistakes. */
class _JsonScan {
  private i = 0

  constructor(private readonly text: string) {}

  /** The first offset at which the text stops being JSON, and why. */
  static stop(text: string): _JsonStop {
    const scan = new _JsonScan(text)
    try {
      scan.value()
      scan.space()
      if (scan.i < text.length) scan.fail('more text after the end of the JSON')
    } catch (err) {
      if (err instanceof _JsonStop) return err
      throw err
    }
    return new _JsonStop(0, 'not JSON')
  }

  private fail(why: string): never {
    throw new _JsonStop(this.i, why)
  }

  private space(): void {
    while (this.i < this.text.length && _SPACE.has(this.text[this.i]!)) this.i++
  }

  private value(): void {
    this.space()
    const c = this.text[this.i]
    if (c === '{') this.object()
    else if (c === '[') this.array()
    else if (c === '"') this.string()
    else if (!this.literal())
      this.fail(c === undefined ? 'the file ends where a value should be' : 'expected a value')
  }

  private object(): void {
    this.i++
    this.space()
    if (this.text[this.i] === '}') {
      this.i++
      return
    }
    for (;;) {
      this.space()
      if (this.text[this.i] !== '"') this.fail('expected a field name in double quotes')
      this.string()
      this.space()
      if (this.text[this.i] !== ':') this.fail("expected ':' after the field name")
      this.i++
      this.value()
      this.space()
      const c = this.text[this.i]
      if (c !== ',' && c !== '}') this.fail("expected ',' or '}'")
      this.i++
      if (c === '}') return
    }
  }

  private array(): void {
    this.i++
    this.space()
    if (this.text[this.i] === ']') {
      this.i++
      return
    }
    for (;;) {
      this.value()
      this.space()
      const c = this.text[this.i]
      if (c !== ',' && c !== ']') this.fail("expected ',' or ']'")
      this.i++
      if (c === ']') return
    }
  }

  private string(): void {
    const t = this.text
    this.i++
    while (this.i < t.length) {
      const c = t[this.i]!
      if (c === '"') {
        this.i++
        return
      }
      if (c < ' ') this.fail('a line break or control character inside a string')
      if (c === '\\') {
        const e = t[this.i + 1] ?? ''
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) this.i += 6
        else if (e !== '' && '"\\/bfnrt'.includes(e)) this.i += 2
        else this.fail('a bad escape after \\')
      } else this.i++
    }
    this.fail('a string is not closed')
  }

  /** A number, true, false or null; false if none starts here. */
  private literal(): boolean {
    const rest = this.text.slice(this.i)
    const n = _NUMBER.exec(rest)?.[0] ?? ['true', 'false', 'null'].find((w) => rest.startsWith(w))
    if (n === undefined) return false
    this.i += n.length
    return true
  }
}

/** `line L, column C` (from 1) of an offset. */
function _position(text: string, at: number): string {
  const before = text.slice(0, at)
  const line = before.split('\n').length
  return `line ${line}, column ${at - before.lastIndexOf('\n')}`
}

/** The JSON value in `text`, or CONFIG_INVALID naming the line and column of the first mistake. */
export function parseConfig(path: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    const stop = _JsonScan.stop(text)
    throw new ConfigInvalidError(path, _position(text, stop.at), `${stop.why} (it must be JSON)`)
  }
}

/**
 * One object of a config file, read field by field: each read checks the field's type, and done()
 * refuses any field that was not read (a typo of a known one, or one this kith does not know).
 */
export class ConfigObject {
  private readonly fields: Record<string, unknown>
  private readonly read = new Set<string>()

  constructor(
    private readonly path: string,
    value: unknown,
    /** The object's name inside the file (`notify.`), for the messages; '' at the top. */
    private readonly at = '',
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ConfigInvalidError(
        path,
        at === '' ? 'the file' : `field "${at.slice(0, -1)}"`,
        'must be an object',
      )
    this.fields = Object.fromEntries(Object.entries(value))
  }

  /** A CONFIG_INVALID about one field. */
  invalid(name: string, why: string): ConfigInvalidError {
    return new ConfigInvalidError(this.path, `field "${this.at}${name}"`, why)
  }

  private _get(name: string): unknown {
    this.read.add(name)
    return this.fields[name]
  }

  string(name: string): string | undefined {
    const v = this._get(name)
    if (v === undefined || typeof v === 'string') return v
    throw this.invalid(name, 'must be a string')
  }

  strings(name: string): string[] | undefined {
    const v = this._get(name)
    if (v === undefined) return undefined
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map(String)
    throw this.invalid(name, 'must be a list of strings')
  }

  number(name: string): number | undefined {
    const v = this._get(name)
    if (v === undefined || (typeof v === 'number' && Number.isFinite(v))) return v
    throw this.invalid(name, 'must be a number')
  }

  boolean(name: string): boolean | undefined {
    const v = this._get(name)
    if (v === undefined || typeof v === 'boolean') return v
    throw this.invalid(name, 'must be true or false')
  }

  object(name: string): ConfigObject | undefined {
    const v = this._get(name)
    return v === undefined ? undefined : new ConfigObject(this.path, v, `${this.at}${name}.`)
  }

  /** `value`, which the file must give. */
  need<T>(name: string, value: T | undefined): T {
    if (value === undefined) throw this.invalid(name, 'missing')
    return value
  }

  /** Refuse any field no read asked for: a typo, or a field this kith does not know. */
  done(): void {
    const unknown = Object.keys(this.fields).filter((k) => !this.read.has(k))
    if (unknown.length > 0)
      throw this.invalid(
        cleanText(unknown[0]!, 64),
        `unknown here (a typo? kith knows ${[...this.read].join(', ')})`,
      )
  }
}

/** Whether a file system error says the file is not there (its directory neither): not a broken one. */
export const isMissingFile = (err: unknown): boolean =>
  err instanceof Error && ['ENOENT', 'ENOTDIR'].includes(String(Reflect.get(err, 'code')))
