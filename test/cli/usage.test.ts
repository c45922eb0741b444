/**
 * Bad command lines get more than yargs' bare words: a missing argument shows the command's usage line,
 * and an unknown option the option it most likely meant, as commands get "did you mean". The error itself
 * stays one line with its code; under --json nothing but the JSON error is said.
 */
import { describe, expect, it } from 'vitest'
import { closestOption, editDistance } from '../../src/cli/suggest.js'
import { cli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('usage errors', () => {
  it("a missing argument: the error line, then the command's usage", async () => {
    const r = await cli('vault', 'add-source', 'file', '--data-dir', await tempDir())
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual([
      'kith: Not enough non-option arguments: got 1, need at least 2',
      expect.stringMatching(/^usage: kith vault add-source <kind> <path>.*--help/),
    ])
  })

  it("an unknown option: the one meant, from the command's own options", async () => {
    const r = await cli('vault', 'status', '--jsno', '--data-dir', await tempDir())
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('kith: unknown option --jsno (did you mean --json?)')
    const g = await cli('guardian', 'init', '--relya', '/ip4/1.2.3.4/tcp/1', '--data-dir', await tempDir())
    expect(g.stderr.split('\n')[0]).toMatch(/unknown option --relya \(did you mean --relay\?\)/)
    const far = await cli('vault', 'status', '--zzzzzz', '--data-dir', await tempDir())
    expect(far.stderr.split('\n')[0]).toBe('kith: unknown option --zzzzzz')
  })

  it('under --json: the JSON error on stdout and its one line on stderr, no usage', async () => {
    const r = await cli('vault', 'status', '--json', '--jsno', '--data-dir', await tempDir())
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'USAGE', message: 'unknown option --jsno (did you mean --json?)' },
    })
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('suggests by edits (a swap is one) and prefixes, never a far option', () => {
    expect(editDistance('jsno', 'json')).toBe(1)
    expect(closestOption('data-dri', ['data-dir', 'json'])).toBe('data-dir')
    expect(closestOption('pass', ['passphrase-file', 'json'])).toBe('passphrase-file')
    expect(closestOption('x', ['json', 'data-dir'])).toBeUndefined()
  })
})
