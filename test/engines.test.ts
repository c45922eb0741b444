/**
 * The Node versions kith says it runs on (package.json `engines`) are ones every package npm installs for
 * it accepts: no EBADENGINE warning at `npm install`, and no dependency that needs a newer Node than
 * the one the README and the docs name.
 */
import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

interface LockEntry {
  readonly engines?: { readonly node?: string } | readonly string[]
  readonly optional?: boolean
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> }

describe('engines', () => {
  it('every installed package accepts the oldest Node kith claims, and the one running', () => {
    const floor = semver.minVersion(pkg.engines.node)!.version
    const wanting: string[] = []
    for (const [name, p] of Object.entries(lock.packages)) {
      // platform builds npm skips are optional; an engines list (old npm form) says nothing of node
      if (name === '' || p.optional === true || Array.isArray(p.engines)) continue
      const range = (p.engines as { node?: string } | undefined)?.node
      if (range === undefined) continue
      for (const v of [floor, process.versions.node])
        if (!semver.satisfies(v, range)) wanting.push(`${name} wants node ${range}, not ${v}`)
    }
    expect(wanting).toEqual([])
  })
})
