/** `kith vault add-guardian`: invite guardians; once there are enough, split the key among them. */
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { readSecretText } from '../../../passphrase.js'
import { withVault } from '../open.js'
import type { AddGuardianArgs } from './options.js'

/** The invites given: in a file (or on standard input) and on the command line. */
async function _invites(a: AddGuardianArgs): Promise<string[]> {
  if (a.inviteFile === '-' && a.passphraseFile === '-')
    throw new UsageError('only one of the invites and the passphrase can come from standard input')
  const listed = a.inviteFile ? (await readSecretText(a.inviteFile, '--invite-file')).split(/\s+/) : []
  const all = [...listed, ...(a.invite ?? [])].map((t) => t.trim()).filter((t) => t.length > 0)
  if (all.length === 0) throw new UsageError('give the invites: --invite-file FILE (or - for standard input)')
  return all
}

export async function addGuardianHandler(a: AddGuardianArgs): Promise<void> {
  const invites = await _invites(a)
  await withVault(a, async (vault) => {
    const r = await vault.addGuardians(invites)
    const n = vault.db.guardians().length
    if (a.json) return sayJson({ guardians: n, activated: r.activated, needed: r.needed, results: r.results })
    if (!r.activated) {
      say(
        `${n} guardian(s) invited; the vault needs ${r.needed} before its key is split. Add ${r.needed - n} more.`,
      )
      return
    }
    const s = vault.db.settings()
    say(`Epoch ${s.epoch}: the data key is split ${s.k}-of-${n} across your guardians.`)
    for (const x of r.results)
      say(
        `  ${x.ok ? 'ok     ' : 'pending'} ${x.label}${x.ok ? '' : `: ${x.error} (retried at the next backup)`}`,
      )
    if (n < s.k + 1)
      say(
        `Warning: with ${n} guardians and k = ${s.k}, losing one guardian makes recovery impossible. Add more.`,
      )
  })
}
