/** `kith vault add-source`: back up one more file or directory from the next version on. */
import type { SourceFacts } from '../../../../coordinator/source-checks.js'
import { addSource } from '../../../../coordinator/sources.js'
import { say, sayJson } from '../../../output.js'
import { readPassphrase } from '../../../passphrase.js'
import { withVault } from '../open.js'
import type { AddSourceArgs } from './options.js'

/** The facts a person may see: not the hsm_secret file's hash. */
function _public(f: SourceFacts): Omit<SourceFacts, 'hsmHash'> {
  const { hsmHash: _, ...rest } = f
  return rest
}

export async function addSourceHandler(a: AddSourceArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const hsmPassphrase = await readPassphrase(a.hsmPassphraseFile, '--hsm-passphrase-file')
    const s = await addSource(
      vault,
      a.kind,
      a.path,
      a.name,
      hsmPassphrase !== undefined ? { hsmPassphrase } : {},
    )
    if (a.json) return sayJson({ name: s.name, kind: s.kind, path: s.path, checked: _public(s.facts) })
    say(`Source ${s.name} (${s.kind}) added: ${s.path}`)
    say(`  checked: ${s.facts.summary}`)
    if (s.facts.unchecked !== undefined) say(`  not checked: ${s.facts.unchecked}`)
    if (s.kind === 'file' && /hsm_secret/i.test(s.path))
      say(
        "  a CLN hsm_secret? Add it as 'cln-hsm' instead: kith then checks which node it makes at every backup",
      )
    if ((s.kind === 'file' || s.kind === 'cln-hsm') && /hsm_secret|seed/i.test(s.path))
      say("  (the seed: restored only with your guardians' help, never shown in any output)")
  })
}
