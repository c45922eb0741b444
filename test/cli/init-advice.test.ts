/**
 * `kith vault init` says what was wrong as it was given (k alone, before any guardian: no "1 of 1"), and
 * its next step keeps the invites off the command line, as the guides say.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('vault init', () => {
  it('-k 1: k as given, and why', async () => {
    const r = await cli('vault', 'init', '-k', '1', '--data-dir', join(await tempDir(), 'v'))
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(
      'kith: k = 1 is not allowed: k must be 2 to 255 (no one friend alone may restore the vault) [INVALID_THRESHOLD]',
    )
  })

  it('its next step reads the invites from a file', async () => {
    const r = await cli('vault', 'init', '-k', '2', '--data-dir', join(await tempDir(), 'v'))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("'kith vault add-guardian --invite-file <file>'")
    expect(r.stdout).not.toMatch(/add-guardian <invite>/)
  })
})
