import { readFile } from 'node:fs/promises'
import { encodeText } from '../../../crypto/text.js'
import { shareEnvelopeFromText } from '../../../shares/envelope.js'

/** Read the argument as text, or as a file when it does not look like a share. */
async function _readShareText(arg: string): Promise<string> {
  if (/^\s*kshare1/i.test(arg)) return arg
  return (await readFile(arg, 'utf8')).trim()
}

export async function inspectShare(args: { share: string; json: boolean }): Promise<void> {
  const envelope = shareEnvelopeFromText(await _readShareText(args.share))
  const facts = {
    valid: true,
    vault: encodeText('vault', envelope.vaultId),
    epoch: envelope.epoch,
    index: envelope.x,
    threshold: envelope.k,
    shares: envelope.n,
  }
  if (args.json) {
    console.log(JSON.stringify(facts))
    return
  }
  console.log('This paper share is intact and signed by its vault.')
  console.log(`  vault:     ${facts.vault}`)
  console.log(`  epoch:     ${facts.epoch}`)
  console.log(
    `  share:     #${facts.index} (any ${facts.threshold} of ${facts.shares} shares rebuild the vault key)`,
  )
}
