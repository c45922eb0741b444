/**
 * `kith guardian requests`: the recovery requests this guardian's human is asked to decide. Several
 * waiting for one vault (a stranger asking too) are one short block, not one set of instructions each.
 */
import { toHex } from '../../../../crypto/bytes.js'
import { encodeText } from '../../../../crypto/text.js'
import { formatAgo } from '../../../../format.js'
import { GUARDIAN_ADVICE as ADVICE } from '../../../../guardian/advice.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import type { RequestState } from '../../../../guardian/store/index.js'
import { networkOf } from '../../../../p2p/addresses.js'
import { cleanText } from '../../../../text.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import type { RequestsArgs } from './options.js'

const STATE_WORDS: Record<RequestState, string> = {
  pending: 'waiting for you',
  approved: 'approved, waiting out the release delay',
  released: 'released',
  denied: 'denied',
  vetoed: 'VETOED by the vault owner',
  superseded: 'gave way to a newer request (nobody asked after it)',
  expired: 'expired',
  locked: 'LOCKED: too many wrong codes were typed',
  finished: 'done: your friend recovered their node with your share (nothing to do)',
}

/** A row's state in words; a finished one says only what this guardian knows of whose recovery it was. */
const _words = (r: Row): string =>
  r.state === 'finished' && r.releasedAt === undefined
    ? "done: it recovered the node with other friends' approvals (if you did not hear from your friend, call them)"
    : STATE_WORDS[r.state]

interface Row {
  readonly request: string
  readonly vault: string
  readonly label: string
  readonly state: RequestState
  readonly network: string
  readonly wrongCodes: number
  readonly ageMs: number
  readonly expiresAt: number
  readonly releaseAt?: number
  readonly releasedAt?: number
}

export async function requestsHandler(a: RequestsArgs): Promise<void> {
  const now = systemClock()()
  const rows = await withGuardianStore(a.dataDir, (db) => {
    db.requests.expire(now)
    return db.requests.list({ open: !a.all }).map(
      (r): Row => ({
        request: toHex(r.requestId),
        vault: encodeText('vault', r.vaultId),
        label: cleanText(db.vaults.get(r.vaultId)?.label ?? '?', 64),
        state: r.state,
        // where it came from, as limits count it: one home or server, however many addresses it has
        network: cleanText(networkOf(r.requesterIp), 64),
        wrongCodes: r.wrongCodes,
        ageMs: now - r.createdAt,
        expiresAt: r.expiresAt,
        ...(r.releaseAt !== null ? { releaseAt: r.releaseAt } : {}),
        // when this guardian's share went out, also for a request its recoverer closed since
        ...(r.releasedAt !== null ? { releasedAt: r.releasedAt } : {}),
      }),
    )
  })
  if (a.json) return sayJson({ requests: rows })
  if (rows.length === 0) return say(a.all ? 'No recovery requests, ever.' : 'No recovery requests waiting.')
  const waiting = (vault: string) => rows.filter((r) => r.vault === vault && r.state === 'pending')
  const told = new Set<string>()
  for (const r of rows) {
    if (r.state !== 'pending')
      say(`Request ${r.request} for "${r.label}" (${formatAgo(r.ageMs)}): ${_words(r)}`)
    else if (waiting(r.vault).length === 1) _sayOne(r, a.dataDir)
    else if (!told.has(r.vault)) {
      told.add(r.vault)
      _sayMany(waiting(r.vault), a.dataDir)
    }
  }
}

function _sayOne(r: Row, dir: string): void {
  say(
    `Request ${r.request} for "${r.label}" (${formatAgo(r.ageMs)}, from ${r.network}): ${STATE_WORDS[r.state]}`,
  )
  say("  Your friend's recovery shows them a code for you. It is not shown here: it proves the call.")
  say('  Call them on a number you already know and ask them to read it to you. Then type it:')
  say(`    ${ADVICE.approve.command(dir)}`)
  say(`  If you did not expect this: ${ADVICE.deny.command(dir, r.request)}`)
  if (r.wrongCodes > 0) say(`  ${r.wrongCodes} wrong code(s) typed so far; 5 lock it`)
}

/** Several requests waiting for one vault: at most one is your friend's, and their code finds it. */
function _sayMany(rs: readonly Row[], dir: string): void {
  const networks = new Set(rs.map((r) => r.network)).size
  say(
    `${rs.length} recovery requests for "${rs[0]!.label}" are waiting, from ${networks} network(s): someone besides your friend is asking.`,
  )
  say('  Only your friend can read you the code of theirs. Call them on a number you already know; type it:')
  say(`    ${ADVICE.approve.command(dir)}`)
  say(
    `  Deny those you did not expect (a denied network cannot ask again for an hour): ${ADVICE.deny.command(dir)}, or all still waiting: ${ADVICE.denyAll.command(dir)}`,
  )
  for (const r of rs)
    say(
      `  ${r.request}  ${formatAgo(r.ageMs)}, from ${r.network}${r.wrongCodes > 0 ? `, ${r.wrongCodes} wrong code(s)` : ''}`,
    )
}
