/** What `kith recover` tells a person as the recovery goes (without --json): one line per event. */
import type { ResumeReport } from '../../../coordinator/resume.js'
import { formatAgo } from '../../../format.js'
import type { BadAnswer } from '../../../recovery/context.js'
import type { RecoveryEvent } from '../../../recovery/session.js'
import { duration } from '../../../time/durations.js'
import { say, stamp } from '../../output.js'

/** What a guardian sent, as a sentence names it. */
const ANSWERS: Record<BadAnswer, string> = {
  freshness: 'an answer about the newest version',
  head: 'the head of the newest version it holds',
  'seen-head': 'the head of the newest version it has seen',
  certificate: 'a commit certificate',
  share: 'its share',
  roster: "the vault's roster",
  'address-record': "another guardian's address",
  manifest: 'a manifest',
  chunk: 'a chunk',
  'journal-head': "the live database's newest transaction",
  'journal-entry': 'a replicated transaction',
}

export function narrate(e: RecoveryEvent): void {
  switch (e.event) {
    case 'request-sent':
      if (e.code === '') {
        say(`→ ${e.guardian}: request ${e.request} (already decided)`)
        break
      }
      say(`→ ${e.guardian}: code ${e.code}`)
      say(`    call ${e.guardian} on a number they know is yours and read them this code; they type it`)
      break
    case 'unreachable':
      say(`✗ ${e.guardian} is unreachable for now (${e.error}); still trying`)
      break
    case 'approved':
      say(
        `✓ ${e.guardian} approved${e.releaseAt > Date.now() ? `; their share is released at ${stamp(e.releaseAt)}` : ''}`,
      )
      break
    case 'denied':
      say(
        e.state === 'locked'
          ? `✗ ${e.guardian}: too many wrong codes were typed; the request is locked (start the recovery again for a new one)`
          : e.state === 'superseded'
            ? `✗ ${e.guardian}: the request gave way to a newer one, as nobody asked after it for a while (start the recovery again for a new one)`
            : `✗ ${e.guardian}: request ${e.state}`,
      )
      break
    case 'refused':
      say(`✗ ${e.guardian} refused: ${e.error} [${e.code}]`)
      break
    case 'waiting':
      say(`… ${e.guardian} cannot take the request yet (${e.error} [${e.code}]); still asking`)
      if (e.code === 'TOO_MANY_REQUESTS')
        say(
          `    if this lasts, call ${e.guardian}: they can deny the requests they did not expect, and yours gets in`,
        )
      break
    case 'paper-share':
      say(
        e.counts
          ? `✓ your paper share (epoch ${e.epoch}) counts as one share: one friend fewer needs to approve`
          : `✗ your paper share is of epoch ${e.epoch}, the vault is at epoch ${e.current}: it no longer counts (print a new one after each change of guardians)`,
      )
      break
    case 'share-received':
      say(`✓ share from ${e.guardian}: ${e.have} of ${e.need}`)
      break
    case 'key-rebuilt':
      // a share that does not fit is named, with its guardian, by its own bad-guardian event
      say(`✓ data key rebuilt from ${e.shares} shares and checked against the vault's commitment`)
      break
    case 'share-set-aside':
      say(
        `… ${e.guardian}'s share is of epoch ${e.epoch}, the vault is at epoch ${e.current}: set aside (they missed a re-share)`,
      )
      break
    case 'heads-collected':
      say(
        `✓ ${e.answered} guardian(s) answered (${e.needed} needed to be sure, assuming at most ${e.tolerate} of them lie or were rolled back; see --tolerate): newest version ${e.version}${e.certified >= e.version ? ', proven committed' : ''}${e.createdAt > 0 ? `, made ${stamp(e.createdAt)}` : ''}`,
      )
      if (e.acceptedStale)
        say('  !! fewer answered than needed: this may NOT be the newest committed version')
      if (e.lastHeard !== undefined)
        say(
          `  ${e.lastHeard.ago < duration('oldNodeRecent') ? '!! ' : ''}your old node was last heard by ${e.lastHeard.guardians} guardian(s) ${formatAgo(e.lastHeard.ago)}${e.lastHeard.pluginAgo !== undefined ? ` (its CLN plugin: ${formatAgo(e.lastHeard.pluginAgo)})` : ''}${e.lastHeard.ago < duration('oldNodeRecent') ? ': make sure it is stopped for good before your new node runs' : ''}`,
        )
      break
    case 'waiting-for-holder':
      say(`… version ${e.version} is held by ${e.holders.join(', ')}: waiting for one of them to approve`)
      break
    case 'older-version':
      say(
        `!! restoring version ${e.version} on purpose, though version ${e.newest} exists: running an old channel state lets your peers take the channels`,
      )
      break
    case 'bad-guardian':
      say(
        e.what === 'chunk'
          ? `!! a guardian (${e.guardian}) served a chunk that does not match its id; skipped from now on`
          : `!! ${e.guardian} sent ${ANSWERS[e.what]} that does not verify (${e.reason} [${e.code}]); not used. Tell your friend: their guardian is broken or lies`,
      )
      break
    case 'stale-database': {
      const stale = `!! ${e.journal}: the restored database is OLDER than your node's last state [${e.code}]`
      if (e.action === 'renamed') say(`${stale}; renamed ${e.to}: never start lightningd on it`)
      else if (e.action === 'removed')
        say(`${stale} and could not be renamed (${e.error}): deleted, so that no node starts on it`)
      else
        say(
          `${stale} and could be neither renamed nor deleted (${e.error}): it is still ${e.path}. DELETE IT before anything else; never start lightningd on it`,
        )
      break
    }
    case 'stream-replayed':
      say(
        `✓ ${e.stream}: ${e.applied} replicated transaction(s) applied after the snapshot's ${e.from}, up to ${e.to}, each checked`,
      )
      break
    case 'request-closed':
      if (e.told.length > 0)
        say(`✓ your recovery request is closed at ${e.told.join(', ')}: their pages say you are done`)
      if (e.notTold.length > 0)
        say(
          `  ${e.notTold.join(', ')} could not be told now: the request stays open there until it expires (with --resume, kith vault status tells them when they answer); tell them you are done`,
        )
      break
    case 'restore-done':
      say(`✓ version ${e.version} (made ${stamp(e.createdAt)}) restored and verified:`)
      for (const f of e.files) say(`    ${f.path} (${f.size} bytes)`)
      for (const u of e.unread ?? [])
        say(
          u.asOf > 0
            ? `  ! source ${u.source} is as of version ${u.asOf} (made ${stamp(u.asOfTime)}), not ${e.version}: later backups could not read it [${u.code}]`
            : `  ! source ${u.source} is NOT in version ${e.version}: its backup could not read it [${u.code}], and no earlier copy of it was kept`,
        )
      break
  }
}

/** After `--resume`: this machine coordinates the vault now. */
export function narrateResume(r: ResumeReport): void {
  const p = r.backup.pushed
  say(`✓ this machine is now the coordinator of ${r.vault} (epoch ${r.epoch}, new data key) in ${r.dataDir}`)
  say(
    `  guardians told: ${r.rosters.filter((x) => x.ok).length} of ${r.rosters.length}; the old coordinator is fenced out`,
  )
  if (p) say(`  version ${p.version} ${p.committed ? 'committed' : 'NOT committed yet (kept in the outbox)'}`)
  say(
    "  Its sources are the restored files; re-add them where your node keeps them ('kith vault add-source').",
  )
}
