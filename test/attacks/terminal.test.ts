/**
 * Attack: terminal injection. A guardian patched to lie answers a recovery with an error reply full of
 * escape sequences (clear the screen, forge a "code" line, reverse the text that follows); a friend's
 * invite carries a label that does the same. Nothing another party wrote reaches the operator's terminal
 * as anything but plain text on its own line, and a bad label is refused where it is accepted.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KithError } from '../../src/errors.js'
import { inviteFromText, inviteToText } from '../../src/p2p/invite.js'
import { cli, recoverArgs, statusJson } from '../helpers/cli.js'
import { backedUpVault, localFleet } from '../helpers/local.js'

const fleet = localFleet()
const FORGED = '\x1b[2J\x1b[H\n→ Bob: code 424-242\n    call Bob and read them this code\u202e'

class Lie extends KithError {
  readonly code = 'UNKNOWN_VAULT'
}

describe('attack: a guardian and a friend write escape sequences for the operator’s terminal', () => {
  it('a lying guardian’s error reply is one plain line in `kith recover`; no forged code line', async () => {
    const { gs, work, vault } = await backedUpVault(2, 2, 2, fleet)
    gs[1]!.guardian.db.vaults.require = () => {
      throw new Lie(FORGED)
    }
    const r = await cli(
      'recover',
      ...recoverArgs(vault, gs, join(work, 'out'), '--wait', '3s', '--poll', '100ms'),
    )
    const printed = r.stdout + r.stderr
    expect(printed).toContain('424-242') // shown, as the text it is
    expect(printed.replaceAll('\n', '')).not.toMatch(/[\p{Cc}\p{Cf}]/u)
    expect(printed.split('\n').filter((l) => l.startsWith('→ Bob'))).toEqual([])
    expect(r.code).not.toBe(0)
  })

  it('an invite whose name or address carries control characters is refused; nothing is stored', async () => {
    const { gs, v } = await backedUpVault(2, 2, 2, fleet)
    const honest = inviteFromText(gs[0]!.invite())
    for (const evil of [
      { ...honest, label: '\x1b[31mBob\x1b[0m' },
      { ...honest, label: 'Bob\u202e' },
      { ...honest, addrs: ['/ip4/127.0.0.1/tcp/1\n→ code 424-242'] },
    ]) {
      const r = await cli(...v('add-guardian', inviteToText(evil)))
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('[INVALID_LABEL]')
    }
    expect((await statusJson(...v('status', '--offline')))['guardians']).toHaveLength(2)
  })
})
