/** The printed kit keeps each command on one line (a browser would break `--code` at its hyphens). */
import { describe, expect, it } from 'vitest'
import { kitFromText, kitToHtml } from '../../src/recovery/kit.js'

const kit = {
  version: 1 as const,
  vault: 'kvault1v6nqhljpw8tukyef68ka4rn90ysuqcdf3xn3xhxh0cjretul94nsk9mwxr',
  name: 'my node',
  k: 2,
  n: 3,
  w: 2,
  guardians: [
    {
      label: 'alice',
      peerId: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf',
      addrs: ['/ip4/127.0.0.1/tcp/4001'],
    },
  ],
}

describe('the HTML kit', () => {
  it('its commands are never broken across lines, and it reads back', async () => {
    const html = await kitToHtml(kit)
    expect(html).toContain('.cmd{white-space:nowrap}')
    expect(html).toContain('<code class="cmd">kith guardian approve --code &lt;code&gt;</code>')
    expect(html).toContain('<code class="cmd">kith recover --kit kit.txt --out ./restored</code>')
    expect(kitFromText(html)).toMatchObject({ vault: kit.vault, k: 2, n: 3 })
  })
})
