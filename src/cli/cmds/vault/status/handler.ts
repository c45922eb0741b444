/**
 * `kith vault status`: the verdict, the reasons, and each guardian's state. Its exit status is the
 * verdict (docs/troubleshooting.md §Exit status): 0 safe, 1 degraded, 2 at-risk, 3 fenced; 4 when it
 * could not give one (an error), so a monitor never takes a failure for a verdict.
 */
import { keptCopy } from '../../../../coordinator/source-health.js'
import { type VaultStatus, type Verdict, vaultStatus } from '../../../../coordinator/status.js'
import { KithError } from '../../../../errors.js'
import { formatAgo, formatDuration } from '../../../../format.js'
import { ExitStatus } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { StatusArgs } from './options.js'

const EXIT_OF: Record<Verdict, number> = { safe: 0, degraded: 1, 'at-risk': 2, fenced: 3 }

export async function statusHandler(a: StatusArgs): Promise<void> {
  // status only reads, so it opens the vault without its lock and works beside a running watch
  let s: VaultStatus
  try {
    s = await withVault(a, (vault) => vaultStatus(vault, { probe: !a.offline }), false)
  } catch (err) {
    throw err instanceof KithError ? new ExitStatus(4, err, false) : err
  }
  _print(a, s)
  if (EXIT_OF[s.verdict] !== 0) throw new ExitStatus(EXIT_OF[s.verdict])
}

function _print(a: StatusArgs, s: VaultStatus): void {
  if (a.json) {
    sayJson(s)
    return
  }
  const now = Date.now()
  say(`Vault "${s.name}" ${s.vault}`)
  say(
    `  ${s.verdict.toUpperCase()}: committed version ${s.committedVersion}${s.newestVersion > s.committedVersion ? ` (outbox: ${s.outbox.join(', ')})` : ''}, epoch ${s.epoch}, ${s.k}-of-${s.n}, write quorum ${s.w}`,
  )
  for (const r of s.reasons) say(`  - ${r}`)
  for (const r of s.finishedRecovery ?? [])
    say(
      `  your finished recovery (request ${r.request.slice(0, 8)}) is still open at ${r.guardians.join(', ')}: told again now; nothing for you to do`,
    )
  if (s.node !== undefined) say(`  node ${s.node.id} (from ${s.node.from})`)
  for (const x of s.sources ?? [])
    say(
      `  source ${x.name} (${x.kind}): ${x.failing !== undefined ? `NOT READ for ${formatDuration(now - x.failing.since)} [${x.failing.code}], ${keptCopy(x.failing)}; last checked: ` : ''}${x.checked}${x.unchecked !== undefined ? `; not checked: ${x.unchecked}` : ''}`,
    )
  const d = s.lastFullDrill
  if (d !== undefined)
    say(
      `  last full drill ${formatAgo(now - d.at)}, version ${d.version}: ${d.pass ? 'PASSED' : `FAILED${d.failure ? ` [${d.failure.code}]` : ''}`}${d.bad.length > 0 ? `; bad data from ${[...new Set(d.bad.map((b) => b.guardian))].join(', ')}` : ''}`,
    )
  if (s.incidents.length > 0)
    say(`  !! ${s.incidents.length} equivocation/fencing incident(s) recorded; see docs/operator.md#alerts`)
  for (const g of s.guardians) {
    const state = !g.member
      ? 'invited'
      : g.reachable === null
        ? 'not asked'
        : g.reachable
          ? (g.path ?? 'reachable')
          : `UNREACHABLE${g.unreachableSince !== null ? ` for ${formatDuration(now - g.unreachableSince)}` : ''}`
    say(
      `  ${g.label.padEnd(20)} ${state.padEnd(11)} version ${g.version}${g.lag ? ` (${g.lag} behind)` : ''}${g.hasCurrentShare ? '' : ', no current share'}${g.lastContact ? `, seen ${formatAgo(now - g.lastContact)}` : ''}`,
    )
  }
}
