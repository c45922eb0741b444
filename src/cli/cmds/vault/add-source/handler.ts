/** `kith vault add-source`: back up one more file or directory from the next version on. */
import { addSource } from '../../../../coordinator/sources.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { AddSourceArgs } from './options.js'

export async function addSourceHandler(a: AddSourceArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const s = await addSource(vault, a.kind, a.path, a.name)
    if (a.json) return sayJson(s)
    say(`Source ${s.name} (${s.kind}) added: ${s.path}`)
    if (s.kind === 'file' && /hsm_secret|seed/i.test(s.path))
      say("  (the seed: restored only with your guardians' help, never shown in any output)")
  })
}
