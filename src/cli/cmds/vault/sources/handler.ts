/** `kith vault sources`: what the vault backs up; `--remove` drops one from the next version on. */
import { removeSource } from '../../../../coordinator/sources.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { SourcesArgs } from './options.js'

export async function sourcesHandler(a: SourcesArgs): Promise<void> {
  await withVault(a, async (vault) => {
    if (a.remove !== undefined) removeSource(vault, a.remove)
    const sources = vault.db.sources()
    if (a.json) return sayJson({ sources })
    if (a.remove !== undefined) say(`Source ${a.remove} removed; the next version will not include it.`)
    if (sources.length === 0)
      say("No sources yet: 'kith vault add-source lnd-scb ~/.lnd/data/chain/bitcoin/mainnet/channel.backup'")
    for (const s of sources) say(`  ${s.name.padEnd(16)} ${s.kind.padEnd(14)} ${s.path}`)
  })
}
