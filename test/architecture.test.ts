/**
 * The house rules a compiler does not check: imports go downward only, no import cycles (type-only ones
 * included), no file in src/ over 400 lines, decoded records read as typed objects (no `['field'] as T`),
 * and kind numbers only in the registry.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tsFiles } from './helpers/files.js'

const root = join(import.meta.dirname, '..')
const src = join(root, 'src')

const sources = new Map<string, string>()
for (const f of await tsFiles(src)) sources.set(relative(src, f), await readFile(f, 'utf8'))

/** Relative imports of a module (value and type-only, re-exports and side-effect imports). */
function imports(file: string, text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?(?:from\s+)?'(\.{1,2}\/[^']+)'/gm)) {
    const target = relative(src, resolve(dirname(join(src, file)), m[1]!)).replace(/\.js$/, '.ts')
    out.push(target)
  }
  return out
}

const graph = new Map([...sources].map(([file, text]) => [file, imports(file, text)]))

/** The folder a module lives in ('' for src/ itself). */
const folder = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '')

/** Imports go downward: cli → signer → cln → coordinator → guardian/recovery → p2p → replica/shares/ceremony/journal/lightning → codec → crypto/disk/time/release. */
const LAYER: Record<string, number> = {
  '': 0,
  crypto: 0,
  disk: 0,
  time: 0,
  release: 0,
  codec: 1,
  shares: 2,
  replica: 2,
  ceremony: 2,
  journal: 2,
  lightning: 2,
  lss: 2,
  p2p: 3,
  guardian: 4,
  recovery: 4,
  coordinator: 5,
  cln: 6,
  signer: 7,
  cli: 8,
  demo: 8,
}

describe('architecture', () => {
  it('every folder of src/ has a layer', () => {
    const unknown = [...new Set([...sources.keys()].map(folder))].filter((f) => LAYER[f] === undefined)
    expect(unknown).toEqual([])
  })

  it('imports go downward only, and sibling folders never import each other', () => {
    const wrong: string[] = []
    for (const [file, targets] of graph) {
      const from = folder(file)
      for (const t of targets) {
        const to = folder(t)
        if (to === from || LAYER[to]! < LAYER[from]!) continue
        // the lowest layer (crypto, disk, time, the root modules) may use each other
        if (LAYER[to] === 0 && LAYER[from] === 0) continue
        wrong.push(`${file} -> ${t}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('no import cycles, not even type-only ones', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const stack: string[] = []
    const visit = (file: string) => {
      state.set(file, 'open')
      stack.push(file)
      for (const t of graph.get(file) ?? []) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' -> '))
        else if (!state.has(t)) visit(t)
      }
      stack.pop()
      state.set(file, 'done')
    }
    for (const file of graph.keys()) if (!state.has(file)) visit(file)
    expect(cycles).toEqual([])
  })

  it('no file in src/ is over 400 lines', () => {
    const long = [...sources]
      .map(([file, text]) => [file, text.split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
    expect(long).toEqual([])
  })

  it('decoded records are typed objects: no string-keyed reads cast to a type', () => {
    const casts = [...sources].filter(([, text]) => /\[['"][a-z_]+['"]\]\s+as\s/.test(text)).map(([f]) => f)
    expect(casts).toEqual([])
  })

  it('kind numbers live only in the registry', () => {
    const elsewhere = [...sources]
      .filter(([file, text]) => file !== 'codec/kinds.ts' && /\bkind:\s*\d/.test(text))
      .map(([f]) => f)
    expect(elsewhere).toEqual([])
  })

  it('no `any` and no double casts in src/', () => {
    const loose = [...sources]
      .filter(([, text]) => /as unknown as|:\s*any\s*[,;)=>\]]|\bas any\b|<any>|noExplicitAny/.test(text))
      .map(([f]) => f)
    expect(loose).toEqual([])
  })
})

describe('the checks above see what they check', () => {
  it('the import graph finds imports (a file known to import another does)', () => {
    expect(graph.get('guardian/handlers/push.ts')).toContain('guardian/versions.ts')
    expect(graph.get('codec/record.ts')).toContain('codec/kinds.ts')
  })
})
