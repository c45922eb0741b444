/** `kith vault drill`: every guardian proves its share and the newest version; exit 1 if any fails. */
import { runDrill } from '../../../../coordinator/drill.js'
import { DrillFailedError } from '../../../../coordinator/errors.js'
import { ExitStatus } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { DrillArgs } from './options.js'

export async function drillHandler(a: DrillArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const r = await runDrill(vault)
    if (a.json) sayJson(r)
    else {
      say(`Recovery drill on version ${r.version}: ${r.pass ? 'PASSED' : 'FAILED'}`)
      for (const g of r.guardians) {
        const what = g.reachable
          ? `share ${g.share}, version ${g.version}, ${g.chunksOk}/${g.chunksChecked} chunks`
          : `unreachable (${g.error})`
        say(`  ${g.pass ? 'ok  ' : 'FAIL'} ${g.label.padEnd(20)} ${what}`)
      }
    }
    if (r.pass) return
    const failed = new DrillFailedError(r.guardians.filter((g) => !g.pass).map((g) => g.label))
    // under --json the report above is the answer; the error is its line on stderr
    throw a.json ? new ExitStatus(1, failed) : failed
  })
}
