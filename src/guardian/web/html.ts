/**
 * HTML built by a tagged template that escapes every value it is given: text from a friend, a vault's
 * owner or the network can never become markup. Only `Html` made by the template itself passes through.
 */

/** Markup made by `html` (or `join`): trusted to be inserted as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

type Value = Html | string | number | boolean | null | undefined | readonly Value[]

function _render(v: Value): string {
  if (v === null || v === undefined || v === false) return ''
  if (v instanceof Html) return v.text
  if (Array.isArray(v)) return v.map((x: Value) => _render(x)).join('')
  return escapeHtml(String(v))
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += _render(values[i]!) + strings[i + 1]!
  return new Html(out)
}
