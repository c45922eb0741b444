/**
 * The printable recovery kit (docs/recovery.md): what a new machine needs to find the vault's guardians,
 * and nothing secret. Text for reading back with `kith recover --kit`, HTML with a QR code of the same
 * data for paper. The data block is base64url JSON between two marker lines; the rest is for people.
 */

import { peerIdFromString } from '@libp2p/peer-id'
import { base64url } from '@scure/base'
import QRCode from 'qrcode'
import { decodeText } from '../crypto/text.js'
import { peerIdBytes } from '../p2p/peers.js'
import { RELEASE_NAME, SHA256_HEX } from '../release/file.js'
import { cleanText } from '../text.js'
import { InvalidKitError } from './errors.js'

export interface KitGuardian {
  readonly label: string
  /** The peer ID as text (12D3Koo…). */
  readonly peerId: string
  readonly addrs: readonly string[]
}

export interface Kit {
  readonly version: 1
  /** kvault1… */
  readonly vault: string
  readonly name: string
  readonly k: number
  readonly n: number
  readonly w: number
  readonly guardians: readonly KitGuardian[]
  /** The Lightning node id the vault's files make (a CLN hsm_secret's), when known: a check at recovery. */
  readonly node?: string
  /** The kith release file that wrote the kit, when it ran from one: what to fetch on a new machine. */
  readonly release?: KitRelease
}

/** A release executable by its published name and the SHA-256 of its bytes (its SHA256SUMS line). */
export interface KitRelease {
  /** `kith-<version>-linux-<arch>` */
  readonly name: string
  /** 64 lowercase hex digits */
  readonly sha256: string
}

const BEGIN = '-----BEGIN KITH KIT-----'
const END = '-----END KITH KIT-----'

function _block(kit: Kit): string {
  const data = base64url.encode(new TextEncoder().encode(JSON.stringify(kit)))
  return data.replace(/(.{64})/g, '$1\n').trim()
}

/** What the kit says of the kith that wrote it: the release file by name and hash, or that it had none. */
function _releaseLines(kit: Kit): string[] {
  if (kit.release === undefined)
    return ['kith:      (written by kith run from source: no release file named; use the newest release)']
  return [`kith:      ${kit.release.name}`, `           sha256 ${kit.release.sha256}`]
}

export function kitToText(kit: Kit): string {
  const lines = [
    'KITH RECOVERY KIT: no secrets inside. Keep it on paper, with your seed backup.',
    '',
    `Vault:     ${kit.vault}`,
    `Name:      ${kit.name}`,
    `Threshold: ${kit.k} of ${kit.n} guardians must approve; each version is committed at ${kit.w}`,
    'Guardians:',
    ...kit.guardians.map(
      (g, i) => `  ${i + 1}. ${g.label}  ${g.peerId}\n     ${g.addrs.join(' ') || '(no address)'}`,
    ),
    '',
    ..._releaseLines(kit),
    '',
    "If the node is lost: put that kith file on a new machine (each friend's guardian page offers it;",
    '`sha256sum` must print the hash above), or install kith from its source, and run',
    '  kith recover --kit <this file> --out ./restored',
    'It prints one code per guardian. Call each friend on a number you know; they approve with',
    '  kith guardian approve --code <the code you read them>',
    `When ${kit.k} have approved, kith restores the newest committed version and says what to do next.`,
    'Never run two nodes from one backup: restoring stale channel state can lose the channel funds.',
    '',
    BEGIN,
    _block(kit),
    END,
    '',
  ]
  return lines.join('\n')
}

/** Text made safe inside HTML made for printing (the kit, the paper share). */
export const htmlText = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** A QR code of `text` as SVG, for a printed page. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M' })
}

function _releaseHtml(kit: Kit): string {
  if (kit.release === undefined) return '<b>kith</b> written by kith run from source: no release file named'
  return `<b>kith</b> <code>${htmlText(kit.release.name)}</code><br><b>sha256</b> <code>${htmlText(kit.release.sha256)}</code>`
}

export async function kitToHtml(kit: Kit): Promise<string> {
  const qr = await qrSvg(`${BEGIN}\n${_block(kit)}\n${END}`)
  const h = htmlText
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>kith recovery kit: ${h(kit.name)}</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}code,pre{font-size:.85em}.cmd{white-space:nowrap}.qr{width:18em}</style>
</head><body>
<h1>kith recovery kit</h1>
<p>No secrets inside. Keep it on paper, with your seed backup.</p>
<p><b>Vault</b> <code>${h(kit.vault)}</code><br><b>Name</b> ${h(kit.name)}<br>
<b>Threshold</b> ${kit.k} of ${kit.n} guardians must approve; each version is committed at ${kit.w}${kit.node ? `<br><b>Node</b> <code>${h(kit.node)}</code>` : ''}<br>
${_releaseHtml(kit)}</p>
<h2>Guardians</h2><ol>
${kit.guardians.map((g) => `<li>${h(g.label)}<br><code>${h(g.peerId)}</code><br><code>${g.addrs.map(h).join('<br>')}</code></li>`).join('\n')}
</ol>
<h2>If the node is lost</h2>
<ol><li>Put the kith file named above on a new machine (each friend's guardian page offers it; <code class="cmd">sha256sum</code> must print the hash above), or install kith from its source; save the text below (or scan the code) to <code>kit.txt</code>.</li>
<li>Run <code class="cmd">kith recover --kit kit.txt --out ./restored</code>. It prints one code per guardian.</li>
<li>Call each friend on a number you know. They type the code you read them: <code class="cmd">kith guardian approve --code &lt;code&gt;</code>.</li>
<li>When ${kit.k} have approved, kith restores the newest committed version and prints the next steps.</li></ol>
<p><b>Never run two nodes from one backup</b>: restoring stale channel state can lose the channel funds.</p>
<div class="qr">${qr}</div>
<pre>${BEGIN}\n${_block(kit)}\n${END}</pre>
</body></html>
`
}

/** Read a kit back from its text (or HTML) form; every field is checked. */
export function kitFromText(text: string): Kit {
  const start = text.indexOf(BEGIN)
  const end = text.indexOf(END, start + 1)
  if (start < 0 || end < 0) throw new InvalidKitError('no kit data block (the lines between the markers)')
  let kit: Kit
  try {
    const data = text.slice(start + BEGIN.length, end).replace(/\s+/g, '')
    kit = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(data))) as Kit
  } catch {
    throw new InvalidKitError('the data block is damaged')
  }
  if (kit?.version !== 1) throw new InvalidKitError('unknown kit version')
  try {
    decodeText('vault', kit.vault)
  } catch {
    throw new InvalidKitError('the vault id is not a kvault1… id')
  }
  const int = (x: unknown) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 255
  if (!int(kit.k) || !int(kit.n) || !int(kit.w) || typeof kit.name !== 'string')
    throw new InvalidKitError('bad threshold, quorum or name')
  if (!Array.isArray(kit.guardians) || kit.guardians.length === 0)
    throw new InvalidKitError('no guardians listed')
  for (const g of kit.guardians) {
    if (typeof g?.label !== 'string' || typeof g.peerId !== 'string' || !Array.isArray(g.addrs))
      throw new InvalidKitError('a guardian entry is incomplete')
    if (!g.addrs.every((a: unknown) => typeof a === 'string'))
      throw new InvalidKitError('a guardian address is not text')
  }
  if (kit.node !== undefined && (typeof kit.node !== 'string' || !/^0[23][0-9a-f]{64}$/.test(kit.node)))
    throw new InvalidKitError('the node id is not a 33-byte public key in hex')
  if (
    kit.release !== undefined &&
    (typeof kit.release?.name !== 'string' ||
      !RELEASE_NAME.test(kit.release.name) ||
      typeof kit.release.sha256 !== 'string' ||
      !SHA256_HEX.test(kit.release.sha256))
  )
    throw new InvalidKitError('the kith release is not a release name and a SHA-256 in hex')
  // whoever edited the file: names are shown as one safe line each
  return {
    ...kit,
    name: cleanText(kit.name, 64),
    guardians: kit.guardians.map((g) => ({ ...g, label: cleanText(g.label, 64) })),
  }
}

export function kitVaultId(kit: Kit): Uint8Array {
  return decodeText('vault', kit.vault)
}

/** A kit guardian's peer ID as kith stores it. */
export function kitGuardianPeer(g: KitGuardian): Uint8Array {
  try {
    return peerIdBytes(peerIdFromString(g.peerId))
  } catch {
    throw new InvalidKitError(`guardian ${g.label} has a bad peer id`)
  }
}
