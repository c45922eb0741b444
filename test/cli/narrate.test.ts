/** What `kith recover` tells a person (without --json) for the events a careful recovery raises. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { narrate } from '../../src/cli/cmds/recover/narrate.js'
import type { RecoveryEvent } from '../../src/recovery/context.js'

const lines = (e: RecoveryEvent): string => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
  narrate(e)
  return log.mock.calls.map((c) => String(c[0])).join('\n')
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('kith recover, told to a person', () => {
  it('states the freshness assumption: answers needed, and how many may lie', () => {
    const said = lines({
      event: 'heads-collected',
      answered: 4,
      needed: 4,
      tolerate: 1,
      version: 7,
      createdAt: 0,
      acceptedStale: false,
      newest: 7,
      certified: 7,
    })
    expect(said).toMatch(/4 needed to be sure, assuming at most 1 of them lie or were rolled back/)
    expect(said).toMatch(/newest version 7, proven committed/)
  })

  it('names a share set aside, the holder it waits for, and an older version taken on purpose', () => {
    expect(lines({ event: 'share-set-aside', guardian: 'bob', epoch: 1, current: 2 })).toMatch(
      /bob's share is of epoch 1, the vault is at epoch 2: set aside/,
    )
    expect(lines({ event: 'waiting-for-holder', version: 3, holders: ['carol'] })).toMatch(
      /version 3 is held by carol: waiting for one of them to approve/,
    )
    expect(lines({ event: 'older-version', version: 1, newest: 2 })).toMatch(
      /restoring version 1 on purpose, though version 2 exists/,
    )
  })

  it('says why a guardian cannot take the request yet, and, with its slots full, to call that friend', () => {
    const full = lines({
      event: 'waiting',
      guardian: 'bob',
      code: 'TOO_MANY_REQUESTS',
      error: 'all 8 places for recovery requests of this vault are taken',
    })
    expect(full).toMatch(
      /^… bob cannot take the request yet \(all 8 places .* \[TOO_MANY_REQUESTS\]\); still asking$/m,
    )
    expect(full).toMatch(/if this lasts, call bob: they can deny the requests they did not expect/)
    vi.restoreAllMocks()
    const busy = lines({ event: 'waiting', guardian: 'bob', code: 'GUARDIAN_BUSY', error: 'busy' })
    expect(busy).toBe('… bob cannot take the request yet (busy [GUARDIAN_BUSY]); still asking')
  })

  it('names a guardian whose answer does not verify, what it sent and why, and that it was not used', () => {
    const said = lines({
      event: 'bad-guardian',
      guardian: 'carol',
      peerId: '12D3KooW…',
      what: 'certificate',
      code: 'INVALID_CERTIFICATE',
      reason: 'fewer than W receipts',
    })
    expect(said).toMatch(
      /!! carol sent a commit certificate that does not verify \(fewer than W receipts \[INVALID_CERTIFICATE\]\); not used/,
    )
  })

  it('says a stale restored database was renamed, deleted, or is still there and must be deleted', () => {
    const base = {
      event: 'stale-database',
      journal: 'cln-db',
      path: '/r/cln-db/l.sqlite3',
      code: 'STREAM_INCOMPLETE',
    } as const
    expect(lines({ ...base, action: 'renamed', to: '/r/cln-db/l.sqlite3.STALE-DO-NOT-USE' })).toMatch(
      /OLDER than your node's last state \[STREAM_INCOMPLETE\]; renamed \/r\/cln-db\/l\.sqlite3\.STALE-DO-NOT-USE: never start lightningd on it/,
    )
    expect(lines({ ...base, action: 'removed', error: 'ENOTEMPTY' })).toMatch(
      /could not be renamed \(ENOTEMPTY\): deleted/,
    )
    expect(lines({ ...base, action: 'left', error: 'EROFS, then EROFS' })).toMatch(
      /neither renamed nor deleted \(EROFS, then EROFS\): it is still \/r\/cln-db\/l\.sqlite3\. DELETE IT/,
    )
  })
})
