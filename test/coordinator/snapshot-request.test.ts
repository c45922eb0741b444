/**
 * Snapshot requests (docs/format.md §Snapshot request) on a real directory: written 0600 and atomically,
 * read only when they are what this kith wrote, deleted only once a committed mark answers them.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  deleteAnsweredRequests,
  listSnapshotRequests,
  parseSnapshotRequest,
  pendingSnapshotRequests,
  snapshotRequestPath,
  writeSnapshotRequest,
} from '../../src/coordinator/snapshot-request.js'
import { tempDir } from '../helpers/tmp.js'

const mark = (position: number, journal = 'cln-db') => ({ journal, position, hash: new Uint8Array(32) })

describe('snapshot requests', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
    await mkdir(join(dir, 'streams'))
  })

  it('is written 0600 as one JSON line, and read back as written', async () => {
    await writeSnapshotRequest(dir, { journal: 'cln-db', position: 41, at: 1_700_000_000_000, pid: 77 })
    const path = snapshotRequestPath(dir, 'cln-db')
    expect(await readFile(path, 'utf8')).toBe(
      '{"version":1,"journal":"cln-db","position":41,"at":1700000000000,"pid":77}\n',
    )
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(listSnapshotRequests(dir)).toEqual({
      requests: [{ version: 1, journal: 'cln-db', position: 41, at: 1_700_000_000_000, pid: 77 }],
      unreadable: [],
    })
  })

  it('refuses another version, a position that is not a u53, and damaged text', () => {
    const ok = { version: 1, journal: 'cln-db', position: 1, at: 1, pid: 1 }
    expect(parseSnapshotRequest(JSON.stringify(ok))).toEqual(ok)
    for (const bad of [
      { ...ok, version: 2 },
      { ...ok, position: -1 },
      { ...ok, position: 1.5 },
      { ...ok, position: '1' },
      { ...ok, journal: '' },
    ])
      expect(parseSnapshotRequest(JSON.stringify(bad))).toBeUndefined()
    expect(parseSnapshotRequest('{"version":1,')).toBeUndefined()
    expect(parseSnapshotRequest('null')).toBeUndefined()
  })

  it('a file whose name is not its journal is not read', async () => {
    await writeFile(
      snapshotRequestPath(dir, 'cln-db'),
      JSON.stringify({ version: 1, journal: 'other', position: 1, at: 1, pid: 1 }),
    )
    expect(listSnapshotRequests(dir)).toEqual({ requests: [], unreadable: ['cln-db.snapshot-request'] })
  })

  it('is pending until a mark of its journal reaches its position, then deleted; others stay', async () => {
    await writeSnapshotRequest(dir, { journal: 'cln-db', position: 41, at: 1, pid: 1 })
    expect(pendingSnapshotRequests(dir, [mark(40), mark(99, 'other')])).toHaveLength(1)
    expect(deleteAnsweredRequests(dir, [mark(40), mark(99, 'other')])).toBe(0)
    expect(existsSync(snapshotRequestPath(dir, 'cln-db'))).toBe(true)
    expect(pendingSnapshotRequests(dir, [mark(41)])).toEqual([])
    expect(deleteAnsweredRequests(dir, [mark(41)])).toBe(1)
    expect(existsSync(snapshotRequestPath(dir, 'cln-db'))).toBe(false)
  })

  it('no streams directory: no request', async () => {
    expect(listSnapshotRequests(join(dir, 'none'))).toEqual({ requests: [], unreadable: [] })
  })
})
