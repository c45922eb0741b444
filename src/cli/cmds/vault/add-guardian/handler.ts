/** `kith vault add-guardian`: invite guardians; once there are enough, split the key among them. */
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { AddGuardianArgs } from './options.js'

export async function addGuardianHandler(a: AddGuardianArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const r = await vault.addGuardians(a.invite)
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
