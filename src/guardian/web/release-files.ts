/**
 * The page's "Your friend may need this to recover" section and its downloads (docs/guardian.md §kith
 * for your friend's recovery): each kith release file kept here (guardian/release-files.ts), with what
 * machine it is for, its size and full SHA-256 to compare with the friend's recovery kit. A download is
 * streamed from the disk, never read whole into memory, and only ever a file kept under its own hash.
 */
import { createReadStream } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { toHex } from '../../crypto/bytes.js'
import { formatSize } from '../../format.js'
import { cleanText } from '../../text.js'
import type { KeptRelease, ReleaseFiles } from '../release-files.js'
import type { GuardianStore } from '../store/index.js'
import { type Html, html } from './html.js'

/** One kept file as the page shows it. */
export interface ReleaseView {
  readonly name: string
  readonly sha256: string
  /** Plain words for the machine it runs on. */
  readonly machine: string
  readonly size: string
  /** Who brought it, in words: this guardian's own kith, or a friend's node (its vault's label). */
  readonly from: readonly string[]
  /** Another kept file has the same name and other bytes: at most one of them is genuine. */
  readonly twin: boolean
}

const MACHINES = {
  x64: 'a PC or laptop (64-bit Intel or AMD, x64)',
  arm64: 'a Raspberry Pi or other 64-bit ARM computer (arm64)',
} as const

/** The kept files, newest first, in the page's words. */
export async function releaseViews(files: ReleaseFiles, db: GuardianStore): Promise<ReleaseView[]> {
  const kept = await files.list()
  const labels = new Map(db.vaults.all().map((v) => [toHex(v.vaultId), cleanText(v.label, 64)]))
  return kept.map((k: KeptRelease) => ({
    name: k.name,
    sha256: k.sha256,
    machine: MACHINES[k.arch],
    size: formatSize(k.size),
    from: k.sources.map((s) =>
      s.from === 'self'
        ? 'this guardian runs it itself'
        : `the node of “${labels.get(s.vault) ?? 'a vault no longer kept here'}” sent it`,
    ),
    twin: kept.some((o) => o.name === k.name && o.sha256 !== k.sha256),
  }))
}

/** The section of the overview; nothing while no file is kept. */
export function releaseSection(views: readonly ReleaseView[]): Html {
  if (views.length === 0) return html``
  return html`<h2>Your friend may need this to recover</h2>
<p>If a friend whose backup you keep loses their node, they need the same kith program that made their
recovery kit. Download it here and give it to them (a USB stick or a message works). Ask them to compare its
SHA-256 with the hash printed on their recovery kit before they run it: if the two differ, it is not theirs.</p>
${views.map(
  (v) => html`<section class="card" data-release="${v.sha256}">
  <h3><code>${v.name}</code></h3>
  <p>For ${v.machine}. ${v.size}.</p>
  <p>SHA-256 (compare it with the hash on your friend's recovery kit):<br><code>${v.sha256}</code></p>
  ${v.twin ? html`<p class="warn">Another file here has the same name and other bytes: at most one of them is genuine. Only the one whose SHA-256 is on your friend's kit is theirs.</p>` : ''}
  <p><a href="/view/release/${v.sha256}" data-download="${v.name}">Download ${v.name}</a></p>
  <p class="muted">Kept because ${v.from.join('; ')}.</p>
</section>`,
)}`
}

/**
 * Stream the kept file with this hash as an attachment (its name from the sidecar, which the name
 * pattern allows in a header as is); false when none is kept under it.
 */
export async function sendReleaseFile(
  res: ServerResponse,
  files: ReleaseFiles,
  sha256: string,
  headers: Readonly<Record<string, string>>,
): Promise<boolean> {
  const kept = await files.get(sha256)
  if (kept === undefined) return false
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': String(kept.size),
    'content-disposition': `attachment; filename="${kept.name}"`,
  })
  await pipeline(createReadStream(kept.path), res)
  return true
}
