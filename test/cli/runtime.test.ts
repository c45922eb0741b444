/**
 * kith runs on Node 24 or newer: an older Node gets one line naming both versions and the way out, and
 * nothing else runs (the check comes before any module that needs a newer Node is loaded); on Node 24
 * kith prints no warning (node:sqlite is experimental on 22).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NODE_MAJOR, nodeTooOld } from '../../src/runtime.js'
import { CLI } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'

/** The Node that runs npm, when npm started these tests: on this kind of machine, the system's Node 20. */
const npmNode = process.env['npm_node_execpath']
const npmNodeMajor =
  npmNode === undefined
    ? undefined
    : Number(execFileSync(npmNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0])

describe('the Node kith runs on', () => {
  it('refuses a Node older than 24 by name, and takes 24 and newer', () => {
    const err = nodeTooOld('20.20.2')
    expect(err?.code).toBe('NODE_TOO_OLD')
    expect(err?.message).toContain('this is Node 20.20.2')
    expect(err?.message).toContain('release file')
    expect(nodeTooOld('22.16.0')?.code).toBe('NODE_TOO_OLD')
    expect(nodeTooOld(`${NODE_MAJOR}.0.0`)).toBeUndefined()
    expect(nodeTooOld('25.1.0')).toBeUndefined()
  })

  it('on this Node, kith and its SQLite print no warning (node:sqlite is not experimental here)', async () => {
    const dir = join(await tempDir(), 'vault')
    const r = spawnSync(process.execPath, [CLI, 'vault', 'init', '-k', '2', '--data-dir', dir, '--json'], {
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
  })

  it.skipIf(npmNodeMajor === undefined || npmNodeMajor >= NODE_MAJOR)(
    'the kith binary run by an older Node says so in one line and exits 1',
    () => {
      const r = spawnSync(npmNode!, [CLI, 'vault', 'status'], { encoding: 'utf8' })
      expect(r.status).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^kith: Node 24 or newer is needed, and this is Node \d+\.\d+\.\d+: .* \[NODE_TOO_OLD\]$/,
        ),
      ])
    },
  )
})
