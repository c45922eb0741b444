/** The friend's page in the friend's words: where friends can reach this guardian from. */
import { describe, expect, it } from 'vitest'
import { GUARDIAN_ADVICE } from '../../src/guardian/advice.js'
import { reachWords } from '../../src/guardian/web/view.js'

const addRelay = GUARDIAN_ADVICE.addRelay.command('/srv/kith/guardian')

describe('reach, in words', () => {
  it('a guardian on 127.0.0.1 alone is said to be reachable from this computer only, not "this home network"', () => {
    const r = reachWords(['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'])
    expect(r.words).toEqual([
      expect.stringMatching(/^Only programs on this computer can reach this guardian/),
      expect.stringMatching(/^To be reached from elsewhere/),
    ])
    expect(reachWords(['/ip4/192.168.1.5/tcp/4001']).words).toEqual([
      expect.stringMatching(/^Only computers on this home network/),
      expect.stringMatching(/^To be reached from elsewhere/),
    ])
    expect(reachWords(['/ip4/203.0.113.7/tcp/4001']).words).toEqual([
      'Friends can reach this guardian directly over the internet.',
    ])
  })

  it('unreachable from elsewhere: the command that adds a relay to this guardian, never init (test/guardian/advice.test.ts runs it)', () => {
    const words = reachWords(['/ip4/192.168.1.5/tcp/4001'], '/srv/kith/guardian').words.join(' ')
    expect(words).toContain(`add it: ${addRelay}. Then restart your guardian.`)
    expect(addRelay).toBe('kith guardian settings --add-relay <relay address> --data-dir /srv/kith/guardian')
    expect(words).not.toContain('init')
    expect(
      reachWords([
        '/ip4/192.168.1.5/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf/p2p-circuit',
      ]).words,
    ).toEqual(['Friends can reach this guardian through a relay, without any router setting.'])
  })
})
