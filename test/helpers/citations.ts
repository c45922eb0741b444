/**
 * What a design document cites in code, and whether the code still declares it (test/docs.test.ts).
 * Pure functions over the document's text and a map of source texts, so the rule itself is tested on
 * small examples beside the real document.
 *
 * The rule. A document is read in blocks: a numbered step, a bullet, a table row, or a paragraph. In a
 * block, code spans are read in order:
 * - a span ending in `.ts` is a source file, relative to src/ (a leading `src/` is allowed) or to a
 *   folder span (`guardian/`) named before it in the block; it must exist, and it is the block's
 *   current file until the next one;
 * - a span that is a code name is looked up in the current file, or anywhere in src/ when the block
 *   has named no file yet. Code names are `Class.member`, camelCase and PascalCase identifiers, ALL_CAPS
 *   ones (a constant, or an error code: `readonly code = 'X'` anywhere), and any identifier written
 *   right after a file (`` `recovery/asking.ts` `poll` ``). Other lowercase words (`marks`, `base`) are
 *   prose: fields and tables.
 * Declared means a declaration at the top level (`function`, `class`, `interface`, `type`, `const`,
 * `let`, `export { … }`), or for `Class.member` a method or accessor of that class (a line of its body
 * indented one level: `name(`, `async name(`, `get name(`). A call, a comment or a string never counts.
 */

export interface Missing {
  readonly line: number
  readonly cited: string
  readonly why: string
}

interface Span {
  readonly text: string
  readonly line: number
  /** What stands between the previous span of the block and this one. */
  readonly before: string
}

/** The blocks of a markdown text, each as its code spans with their 1-based line numbers. */
export function spanBlocks(markdown: string): Span[][] {
  const blocks: Span[][] = []
  let current: Span[] | undefined
  let gap = ''
  for (const [i, line] of markdown.split('\n').entries()) {
    if (/^\s*$|^#|^\s*(\d+\.|[-*]) |^\|/.test(line) || current === undefined) {
      current = []
      blocks.push(current)
      gap = ''
    }
    let at = 0
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      current.push({ text: m[1]!, line: i + 1, before: gap + line.slice(at, m.index) })
      gap = ''
      at = m.index + m[0].length
    }
    gap += `${line.slice(at)}\n`
  }
  return blocks.filter((b) => b.length > 0)
}

const FILE = /^[\w./-]+\.ts$/
const FOLDER = /^[\w-]+(\/[\w-]+)*\/$/
const MEMBER = /^([A-Z]\w*)\.(_?[A-Za-z][A-Za-z0-9]*)$/
const IDENT = /^_?[A-Za-z][A-Za-z0-9]*$/
const CAPS = /^[A-Z][A-Z0-9_]+$/

/** Whether `name` is declared at the top level of `source`. */
export function declares(source: string, name: string): boolean {
  const kinds = '(?:function\\*?|class|abstract class|interface|type|enum|const|let)'
  return (
    new RegExp(`^(?:export )?(?:default )?(?:declare )?(?:async )?${kinds} ${name}\\b`, 'm').test(source) ||
    new RegExp(`^export (?:type )?\\{[^}]*\\b${name}\\b[^}]*\\}`, 'm').test(source)
  )
}

/** Whether class `cls` of `source` has a method or accessor `member` (one level into its body). */
export function declaresMember(source: string, cls: string, member: string): boolean {
  const start = source.search(new RegExp(`^(?:export )?(?:abstract )?class ${cls}\\b`, 'm'))
  if (start < 0) return false
  const end = source.indexOf('\n}', start)
  const body = source.slice(start, end < 0 ? undefined : end)
  const modifiers = '(?:(?:public|private|protected|static|override|async|get|set) )*'
  return new RegExp(`^  ${modifiers}\\*?${member}\\??[(<]`, 'm').test(body)
}

/**
 * Every file and name `markdown` cites that `sources` (paths relative to src/ → text) do not have:
 * empty when the document is true; `checked` counts the citations read, so a rule that stopped
 * reading anything cannot pass unnoticed.
 */
export function missingCitations(
  markdown: string,
  sources: ReadonlyMap<string, string>,
): { missing: Missing[]; checked: number } {
  const missing: Missing[] = []
  let checked = 0
  const codes = new Set(
    [...sources.values()].flatMap((s) => [...s.matchAll(/code = '([A-Z_]+)'/g)].map((m) => m[1])),
  )
  for (const block of spanBlocks(markdown)) {
    const folders: string[] = []
    let file: string | undefined
    let previous = ''
    for (const { text: s, line, before } of block) {
      const adjacent = FILE.test(previous) && /^\s*:?\s*$/.test(before)
      previous = s
      if (FOLDER.test(s)) {
        folders.push(s)
        continue
      }
      if (FILE.test(s)) {
        checked++
        const path = s.replace(/^src\//, '')
        file = [path, ...folders.map((f) => f + path)].find((p) => sources.has(p))
        if (file === undefined) missing.push({ line, cited: s, why: 'no such file in src/' })
        file ??= path
        continue
      }
      const member = MEMBER.exec(s)
      const caps = CAPS.test(s)
      if (member === null && !caps && !(IDENT.test(s) && (/[A-Z]/.test(s) || adjacent))) continue
      checked++
      if (caps && codes.has(s)) continue
      const found = (source: string) =>
        member === null ? declares(source, s) : declaresMember(source, member[1]!, member[2]!)
      if (file === undefined ? ![...sources.values()].some(found) : !found(sources.get(file) ?? ''))
        missing.push({
          line,
          cited: s,
          why: file === undefined ? 'declared nowhere in src/' : `not declared in src/${file}`,
        })
    }
  }
  return { missing, checked }
}
