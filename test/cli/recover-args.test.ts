/**
 * `kith recover` refuses counts it cannot mean before it asks anyone: a negative or fractional
 * --tolerate would quietly lower the answers needed to rule out a stale version; --version counts from 1.
 */
import { describe, expect, it } from 'vitest'
import { cli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('kith recover: counts', () => {
  for (const [flag, value] of [
    ['--tolerate', '-1'],
    ['--tolerate', '0.5'],
    ['--version', '0'],
  ] as const)
    it(`${flag} ${value} is refused with one line, exit 2`, async () => {
      const r = await cli('recover', '--kit', '/nonexistent/kit.txt', '--out', await tempDir(), flag, value)
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`${flag} takes a whole number`)])
    })
})
