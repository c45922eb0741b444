/** `kith share inspect`: check a paper share and say whose it is, never printing the share itself. */
import { readFile } from 'node:fs/promises'
import { encodeText } from '../../../../crypto/text.js'
import { shareEnvelopeFromText } from '../../../../shares/share-envelope.js'
import { say, sayJson } from '../../../output.js'
import type { InspectArgs } from './options.js'

/** Read the argument as text, or as a file when it does not look like a share. */
async function _readShareText(arg: string): Promise<string> {
  if (/^\s*kshare1/i.test(arg)) return arg
  return (await readFile(arg, 'utf8')).trim()
}

export async function inspectHandler(a: InspectArgs): Promise<void> {
  const envelope = shareEnvelopeFromText(await _readShareText(a.share))
  const facts = {
    valid: true,
    vault: encodeText('vault', envelope.vaultId),
    epoch: envelope.epoch,
    index: envelope.x,
    threshold: envelope.k,
    shares: envelope.n,
  }
  if (a.json) return sayJson(facts)
  say('This paper share is intact and signed by its vault.')
  say(`  vault:     ${facts.vault}`)
  say(`  epoch:     ${facts.epoch}`)
  say(`  share:     #${facts.index} (any ${facts.threshold} of ${facts.shares} shares rebuild the vault key)`)
}
