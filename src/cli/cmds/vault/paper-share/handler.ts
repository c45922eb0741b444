/** `kith vault paper-share`: the owner's own share, written for printing (never to the terminal). */
import { open } from 'node:fs/promises'
import { paperShare } from '../../../../coordinator/paper-share.js'
import { paperShareToHtml, paperShareToText } from '../../../../recovery/paper-share.js'
import { openShareEnvelope } from '../../../../shares/share-envelope.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { checkOutputFileOption } from '../../../paths.js'
import { withVault } from '../open.js'
import type { PaperShareArgs } from './options.js'

/** Write a secret file: created 0600 when opened, never over an existing file. */
async function _writeSecret(path: string, text: string): Promise<void> {
  const f = await open(path, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new UsageError(`${path} exists: delete it (or give another --out) first`)
    throw err
  })
  try {
    await f.writeFile(text)
    await f.sync()
  } finally {
    await f.close()
  }
}

export async function paperShareHandler(a: PaperShareArgs): Promise<void> {
  for (const f of [`${a.out}.txt`, `${a.out}.html`]) await checkOutputFileOption('--out', f)
  await withVault(a, async (vault) => {
    const r = await paperShare(vault)
    const e = openShareEnvelope(r.envelope)
    const name = vault.db.settings().name
    const txt = `${a.out}.txt`
    const html = `${a.out}.html`
    await _writeSecret(txt, paperShareToText(e, name))
    await _writeSecret(html, await paperShareToHtml(e, name))
    const pending = r.results.filter((x) => !x.ok)
    if (a.json) return sayJson({ text: txt, html, epoch: r.epoch, k: e.k, n: e.n, results: r.results })
    if (r.results.length > 0)
      say(
        `Epoch ${r.epoch}: the key is now split ${e.k}-of-${e.n}, your paper share included; each guardian got its new share.`,
      )
    for (const x of pending) say(`  pending ${x.label}: ${x.error} (it gets its share on the next backup)`)
    say(`Your paper share (epoch ${r.epoch}) is in ${txt} and ${html} (mode 0600).`)
    say(
      `Print it, keep it apart from the recovery kit, then delete both files. With it, ${e.k - 1} friend(s) approving are enough.`,
    )
  })
}
