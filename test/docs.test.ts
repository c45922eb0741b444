import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
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
    const folders = 'cli|coordinator|guardian|recovery|p2p|replica|shares|ceremony|codec|crypto|disk|time'
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
})
