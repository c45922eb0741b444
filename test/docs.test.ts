/**
 * The docs stay true to the code: every error code listed, every cited section, file and test there, and
 * every file and function docs/design.md names declared where it says. design.md's rule
 * (test/helpers/citations.ts): in each step, bullet, table row or paragraph, a `file.ts` span is the
 * current file; a code name after it (`Class.member`, camelCase, ALL_CAPS, or any identifier right after
 * the file) must be declared in that file (a function, class, const or export, or a method of that
 * class; never a mere call, comment or string), and where no file was named yet, somewhere in src/.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { declares, declaresMember, missingCitations } from './helpers/citations.js'
import { tsFiles } from './helpers/files.js'

const root = join(import.meta.dirname, '..')

describe('docs', () => {
  it('troubleshooting.md lists every error code the source can raise', async () => {
    const codes = new Set<string>()
    for (const file of await tsFiles(join(root, 'src'))) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/readonly code = '([A-Z_]+)'/g))
        codes.add(m[1]!)
    }
    expect(codes.size).toBeGreaterThan(15)
    const doc = await readFile(join(root, 'docs', 'troubleshooting.md'), 'utf8')
    const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``))
    expect(missing).toEqual([])
  })

  it('every section a comment cites exists in the document it names', async () => {
    const headings = new Map<string, string[]>()
    const sectionsOf = async (doc: string) => {
      let list = headings.get(doc)
      if (list === undefined) {
        const text = await readFile(join(root, 'docs', doc), 'utf8')
        // a heading's name is its text without a trailing "(kind N)" or similar
        list = [...text.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.replace(/\s*\(.*\)\s*$/, '').trim())
        headings.set(doc, list)
      }
      return list
    }
    const missing: string[] = []
    for (const file of await tsFiles(join(root, 'src'))) {
      // comment lines wrap; join them so a citation split across lines is read whole
      const text = (await readFile(file, 'utf8')).replace(/\n\s*(\*|\/\/)\s*/g, ' ')
      for (const m of text.matchAll(
        /(?:docs\/([a-z-]+\.md) )?(?<!BIP\d+ |RFC \d+ |-\d\d )§([A-Z][A-Za-z]*(?: [a-z][a-z-]*)*)/g,
      )) {
        const doc = m[1] ?? 'format.md'
        const words = m[2]!.split(' ')
        const known = await sectionsOf(doc)
        // the longest run of words that names a section; prose may follow the name
        const found = words.some((_, i) => known.includes(words.slice(0, words.length - i).join(' ')))
        if (!found) missing.push(`${file.slice(root.length + 1)}: docs/${doc} §${m[2]}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('code and docs cite no design file outside the repository and promise no later release', async () => {
    const stale: string[] = []
    const docs = (await readdir(join(root, 'docs')))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(root, 'docs', f))
    for (const file of [...(await tsFiles(join(root, 'src'))), ...docs, join(root, 'README.md')]) {
      const text = await readFile(file, 'utf8')
      if (/DESIGN\.md|STYLE\.md|shared\/research/.test(text) || /next release|later release/i.test(text))
        stale.push(file.slice(root.length + 1))
    }
    expect(stale).toEqual([])
  })

  it('every source file the docs name exists', async () => {
    const docs = [
      ...(await readdir(join(root, 'docs')))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(root, 'docs', f)),
      join(root, 'README.md'),
    ]
    const folders =
      'cli|demo|cln|coordinator|guardian|recovery|p2p|replica|shares|ceremony|journal|codec|crypto|disk|time'
    const missing: string[] = []
    for (const file of docs) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(new RegExp(`(?<![\\w/])(?:src/)?(?:${folders})/[\\w/.-]+\\.ts`, 'g'))) {
        const path = m[0].startsWith('src/') ? m[0] : `src/${m[0]}`
        const found = await readFile(join(root, path)).then(
          () => true,
          () => false,
        )
        if (!found) missing.push(`${file.slice(root.length + 1)}: ${m[0]}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('every test the threat model cites exists, under the name it gives', async () => {
    const doc = await readFile(join(root, 'docs', 'threat-model.md'), 'utf8')
    const missing: string[] = []
    let cited = 0
    // a cited file, then the quoted test names up to the next code span
    for (const m of doc.matchAll(/`(test\/[\w/.-]+\.test\.ts)`([^`]*)/g)) {
      const source = await readFile(join(root, m[1]!), 'utf8').catch(() => undefined)
      if (source === undefined) {
        missing.push(m[1]!)
        continue
      }
      const flat = source.replace(/\s+/g, ' ')
      for (const name of m[2]!.replace(/\s+/g, ' ').matchAll(/"([^"]+)"/g)) {
        cited++
        if (!flat.includes(name[1]!)) missing.push(`${m[1]}: "${name[1]}"`)
      }
    }
    expect(cited).toBeGreaterThan(15)
    expect(missing).toEqual([])
  })

  it('every file and function design.md names exists, declared where it says', async () => {
    const src = join(root, 'src')
    const sources = new Map<string, string>()
    for (const f of await tsFiles(src)) sources.set(relative(src, f), await readFile(f, 'utf8'))
    const doc = await readFile(join(root, 'docs', 'design.md'), 'utf8')
    const { missing, checked } = missingCitations(doc, sources)
    expect(missing.map((m) => `docs/design.md:${m.line}: \`${m.cited}\` ${m.why}`)).toEqual([])
    // a rule that stopped reading citations would pass on anything
    expect(checked).toBeGreaterThan(300)
  })
})

describe('the citation rule of design.md', () => {
  const sources = new Map([
    [
      'coordinator/vault.ts',
      [
        '/** Vault.open and openVault are only named in this comment */',
        'export class Vault {',
        '  static async open(dir: string): Promise<Vault> {',
        '    deliver(dir)',
        '  }',
        '  get name(): string {',
        '    return vaultHelper()',
        '  }',
        '}',
        'export function vaultHelper(): string {',
        "  return 'readKeyFile'",
        '}',
        'const _private = 1',
        'export { _private as exported }',
        "export class NotFoundError extends Error { readonly code = 'NOT_FOUND' }",
        'export const MAX_GUARDIANS = 255',
      ].join('\n'),
    ],
    [
      'coordinator/backup.ts',
      'export async function pushToGuardians(): Promise<void> {}\nexport function poll() {}',
    ],
  ])
  const check = (doc: string) => missingCitations(doc, sources).missing.map((m) => `${m.line}: ${m.cited}`)

  it('takes a function, a method, an accessor and an export as declared', () => {
    const src = sources.get('coordinator/vault.ts')!
    expect([declares(src, 'vaultHelper'), declares(src, 'exported'), declares(src, 'MAX_GUARDIANS')]).toEqual(
      [true, true, true],
    )
    expect([declaresMember(src, 'Vault', 'open'), declaresMember(src, 'Vault', 'name')]).toEqual([true, true])
  })

  it('does not take a call, a comment or a string as a declaration', () => {
    const src = sources.get('coordinator/vault.ts')!
    expect([declares(src, 'deliver'), declares(src, 'openVault'), declares(src, 'readKeyFile')]).toEqual([
      false,
      false,
      false,
    ])
    expect(declaresMember(src, 'Vault', 'deliver')).toBe(false)
  })

  it('catches a renamed function, method or file, with the line it is named on', () => {
    const doc = [
      '1. **Open** (`coordinator/vault.ts` `Vault.open`, `Vault.close`): then',
      '   `coordinator/backup.ts` `pushVersions`; and `coordinator/gone.ts`.',
    ].join('\n')
    expect(check(doc)).toEqual(['1: Vault.close', '2: pushVersions', '2: coordinator/gone.ts'])
  })

  it('looks a name up in the file named before it in the same block, and no further back', () => {
    const doc = [
      '- `coordinator/backup.ts` `pushToGuardians`, then `vaultHelper` (not in backup.ts).',
      '',
      '- `vaultHelper`, `Vault.open` and `NOT_FOUND` anywhere in src/, with no file named here.',
    ].join('\n')
    expect(check(doc)).toEqual(['1: vaultHelper'])
  })

  it('checks a lowercase word only right after a file; elsewhere it is prose', () => {
    const doc =
      '- `coordinator/backup.ts` `poll`, `coordinator/vault.ts` `poll`; the `marks` and `base` fields.'
    expect(check(doc)).toEqual(['1: poll'])
  })

  it('finds a bare file name in a folder named before it in the block', () => {
    expect(check('| `coordinator/` | the vault (`vault.ts`, `backup.ts`, `status.ts`) |')).toEqual([
      '1: status.ts',
    ])
  })
})
