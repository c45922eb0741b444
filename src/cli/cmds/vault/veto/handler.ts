/** `kith vault veto`: tell every guardian that a recovery request is not the owner's. */
import { VetoUndeliveredError } from '../../../../coordinator/errors.js'
import { resolveRequest, vetoRequest } from '../../../../coordinator/veto.js'
import { ExitStatus } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { VetoArgs } from './options.js'

export async function vetoHandler(a: VetoArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const request = await resolveRequest(vault, a.request)
    const results = await vetoRequest(vault, request)
    const ok = results.filter((r) => r.ok).length
    if (a.json) sayJson({ request, vetoed: ok, results })
    else {
      say(`Veto of request ${request} delivered to ${ok} of ${results.length} guardians.`)
      for (const r of results) if (!r.ok) say(`  not delivered to ${r.label}: ${r.error}`)
      // a request no guardian holds is nobody's attempt: no alarm for an id mistyped or long closed
      if (results.some((r) => r.ok || r.code !== 'UNKNOWN_REQUEST')) {
        say('Call your guardians: someone is trying to recover your vault. A guardian can still override a')
        say('veto after speaking with you, so a stolen vault key cannot block your own recovery forever.')
      } else say('No guardian holds this request: check its id (kith vault status lists the open ones).')
    }
    // under --json the report above is the answer; the error is its line on stderr
    if (ok === 0) throw a.json ? new ExitStatus(1, new VetoUndeliveredError()) : new VetoUndeliveredError()
  })
}
