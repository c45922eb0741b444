/**
 * The owner's paper share (docs/format.md §Paper share): one more share of the vault's split, printed
 * by `kith vault paper-share`, counting toward k like a guardian's. Its printable forms (text, and HTML
 * with a QR code, as the kit is printed) and reading it back for `kith recover --paper-share`: the
 * envelope's vault signature is checked, and only the vault it names is accepted.
 */
import { equalBytes } from '../crypto/bytes.js'
import { WrongVaultError } from '../replica/errors.js'
import { type ShareEnvelope, shareEnvelopeFromText, shareEnvelopeToText } from '../shares/share-envelope.js'
import { InvalidPaperShareError } from './errors.js'
import { htmlText, qrSvg } from './kit.js'

const WORDS = (e: ShareEnvelope, name: string) => [
  `kith paper share: ${name}`,
  '',
  `This is YOUR OWN share of your vault's key (epoch ${e.epoch}, ${e.k} shares rebuild it).`,
  `With it, ${e.k - 1} friend(s) approving are enough to recover: kith recover --kit kit.txt --paper-share this-file --out ./restored`,
  'Keep it like cash, apart from the recovery kit. Alone it opens nothing; with friends who approve, it does.',
  'It stops working when your guardians change (a new epoch): kith vault status says when to print a new one.',
]

export function paperShareToText(e: ShareEnvelope, name: string): string {
  return [...WORDS(e, name), '', shareEnvelopeToText(e), ''].join('\n')
}

export async function paperShareToHtml(e: ShareEnvelope, name: string): Promise<string> {
  const text = shareEnvelopeToText(e)
  const qr = await qrSvg(text)
  const h = htmlText
  const [title, , ...rest] = WORDS(e, name)
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${h(title!)}</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}code{font-size:.85em;word-break:break-all}.qr{width:18em}</style>
</head><body>
<h1>${h(title!)}</h1>
${rest.map((l) => `<p>${h(l)}</p>`).join('\n')}
<div class="qr">${qr}</div>
<p><code>${h(text)}</code></p>
</body></html>
`
}

/** The paper share in `text` (its file, text or HTML), for `vaultId`: signature and vault checked. */
export function paperShareFromText(text: string, vaultId: Uint8Array): ShareEnvelope {
  const m = /kshare1[02-9ac-hj-np-z]+/.exec(text)
  if (m === null) throw new InvalidPaperShareError('no kshare1… line in it')
  let e: ShareEnvelope
  try {
    e = shareEnvelopeFromText(m[0])
  } catch (err) {
    throw new InvalidPaperShareError(
      `the share does not read or verify (${err instanceof Error ? err.message : String(err)})`,
    )
  }
  if (!equalBytes(e.vaultId, vaultId)) throw new WrongVaultError('paper share')
  return e
}
