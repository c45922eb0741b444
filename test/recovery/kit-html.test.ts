/** The printed kit keeps each command on one line (a browser would break `--code` at its hyphens), and names the kith release that wrote it. */
import { describe, expect, it } from 'vitest'
import { kitFromText, kitToHtml, kitToText } from '../../src/recovery/kit.js'

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

describe('the release the kit names', () => {
  const release = { name: 'kith-0.1.0-linux-x64', sha256: 'ab'.repeat(32) }

  it('text and HTML name the release file and its hash, and it reads back', async () => {
    const text = kitToText({ ...kit, release })
    expect(text).toContain('kith:      kith-0.1.0-linux-x64\n           sha256 abab')
    expect(text).toContain('`sha256sum` must print the hash above')
    expect(kitFromText(text).release).toEqual(release)
    const html = await kitToHtml({ ...kit, release })
    expect(html).toContain(`<b>sha256</b> <code>${release.sha256}</code>`)
    expect(kitFromText(html).release).toEqual(release)
  })

  it('a kit written from source says that it names no release file', () => {
    const text = kitToText(kit)
    expect(text).toContain('no release file named')
    expect(kitFromText(text).release).toBeUndefined()
  })

  it('an edited release (a path for a name, a short hash) is refused', () => {
    for (const bad of [
      { ...release, name: '../../bin/sh' },
      { ...release, name: 'kith-0.1.0-linux-x64; rm -rf' },
      { ...release, sha256: 'ab'.repeat(16) },
      { ...release, sha256: 'AB'.repeat(32) },
      { name: release.name },
    ])
      expect(() => kitFromText(kitToText({ ...kit, release: bad as typeof release }))).toThrow(
        expect.objectContaining({ code: 'INVALID_KIT' }),
      )
  })
})
