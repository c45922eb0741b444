/** `kith vault init`: create the vault's keys and state, and say how to add guardians. */
import { initVault } from '../../../../coordinator/create.js'
import { encodeText } from '../../../../crypto/text.js'
import { say, sayJson } from '../../../output.js'
import { readPassphrase } from '../../../passphrase.js'
import type { InitArgs } from './options.js'

export async function initHandler(a: InitArgs): Promise<void> {
  const w = a.writeQuorum ?? a.threshold
  const passphrase = await readPassphrase(a.passphraseFile)
  const vaultId = await initVault(a.dataDir, {
    k: a.threshold,
    w,
    name: a.name,
    ...(passphrase !== undefined ? { passphrase } : {}),
  })
  const id = encodeText('vault', vaultId)
  if (a.json) return sayJson({ vault: id, k: a.threshold, w, name: a.name, dataDir: a.dataDir })
  say(`Vault "${a.name}" created in ${a.dataDir}`)
  say(`  vault ID   ${id}`)
  say(`  threshold  any ${a.threshold} guardians can restore; a version counts once ${w} hold it`)
  say(
    // an invite is a secret: from a file (or standard input), never on the command line
    `Next: ask ${Math.max(a.threshold, w)} or more friends for invites ('kith guardian invite'), put them in a file, one per line, then 'kith vault add-guardian --invite-file <file>'.`,
  )
}
