import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Every .ts file below `dir`, recursively. */
export async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await tsFiles(p)))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

/** The lines of a JSON-lines log file (kith.log, a plugin's log), each parsed. */
export async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}
