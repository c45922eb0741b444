/** `kith vault kit`: the printable recovery kit, as text and HTML with a QR code. */
import { writeFile } from 'node:fs/promises'
import { buildKit, runningRelease } from '../../../../coordinator/kit.js'
import { kitToHtml, kitToText } from '../../../../recovery/kit.js'
import { say, sayJson } from '../../../output.js'
import { checkOutputFileOption } from '../../../paths.js'
import { withVault } from '../open.js'
import type { KitArgs } from './options.js'

export async function kitHandler(a: KitArgs): Promise<void> {
  const txt = `${a.out}.txt`
  const html = `${a.out}.html`
  for (const f of [txt, html]) await checkOutputFileOption('--out', f)
  const release = await runningRelease()
  const kit = {
    ...(await withVault(a, async (vault) => buildKit(vault), false)),
    ...(release ? { release } : {}),
  }
  await writeFile(txt, kitToText(kit))
  await writeFile(html, await kitToHtml(kit))
  if (a.json)
    return sayJson({ text: txt, html, guardians: kit.guardians.length, release: kit.release ?? null })
  say(`Recovery kit written: ${txt} and ${html} (no secrets; ${kit.guardians.length} guardians).`)
  if (release) say(`It names this kith: ${release.name}, sha256 ${release.sha256}.`)
  say('Print it and keep it with your seed backup. Write a new one after adding or removing a guardian.')
}
