import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await sources(p)))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

describe('docs', () => {
  it('troubleshooting.md lists every error code the source can raise', async () => {
    const codes = new Set<string>()
    for (const file of await sources(join(root, 'src'))) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/readonly code = '([A-Z_]+)'/g))
        codes.add(m[1]!)
    }
    expect(codes.size).toBeGreaterThan(15)
    const doc = await readFile(join(root, 'docs', 'troubleshooting.md'), 'utf8')
    const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``))
    expect(missing).toEqual([])
  })
})
