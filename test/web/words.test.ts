/** The friend's page in the friend's words: where friends can reach this guardian from. */
import { describe, expect, it } from 'vitest'
import { reachWords } from '../../src/guardian/web/view.js'

describe('reach, in words', () => {
  it('a guardian on 127.0.0.1 alone is said to be reachable from this computer only, not "this home network"', () => {
    const r = reachWords(['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'])
    expect(r.words).toEqual([
      expect.stringMatching(/^Only programs on this computer can reach this guardian/),
    ])
    expect(reachWords(['/ip4/192.168.1.5/tcp/4001']).words).toEqual([
      expect.stringMatching(/^Only computers on this home network/),
    ])
    expect(reachWords(['/ip4/203.0.113.7/tcp/4001']).words).toEqual([
      'Friends can reach this guardian directly over the internet.',
    ])
  })
})
