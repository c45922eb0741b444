/**
 * `kith vault drill`: every guardian proves its share and the newest version; with --restore (the full
 * drill) the newest version is also restored from the guardians, checked and compared with the live
 * files. Exit 1 (DRILL_FAILED) if it fails.
 */
import { type DrillGuardian, type DrillReport, runDrill } from '../../../../coordinator/drill.js'
import { type RestoreDrill, runFullDrill } from '../../../../coordinator/drill-restore.js'
import { DrillFailedError } from '../../../../coordinator/errors.js'
import { ExitStatus } from '../../../errors.js'
import { say, sayJson, stamp } from '../../../output.js'
import { withVault } from '../open.js'
import type { DrillArgs } from './options.js'

export async function drillHandler(a: DrillArgs): Promise<void> {
  await withVault(a, async (vault) => {
    let r: DrillReport
    let restore: RestoreDrill | undefined
    if (a.restore) {
      const full = await runFullDrill(vault)
      r = full
      restore = full.restore
    } else r = await runDrill(vault)
    if (a.json) sayJson(r)
    else {
      say(
        `Recovery drill${restore ? ' (full)' : ''} on version ${r.version}: ${r.pass ? 'PASSED' : 'FAILED'}`,
      )
      for (const g of r.guardians) say(`  ${_mark(g, restore)} ${g.label.padEnd(20)} ${_proofs(g)}`)
      if (restore) _sayRestore(restore)
    }
    if (r.pass) return
    const failed = restore
      ? [
          ...r.guardians.filter((g) => !_provedKeyAndVersion(g, r.version)).map((g) => g.label),
          ...(restore.pass ? [] : [`the restore of version ${restore.version}`]),
        ]
      : r.guardians.filter((g) => !g.pass).map((g) => g.label)
    const err = new DrillFailedError(failed)
    // under --json the report above is the answer; the error is its line on stderr
    throw a.json ? new ExitStatus(1, err) : err
  })
}

const _provedKeyAndVersion = (g: DrillGuardian, version: number) =>
  g.reachable && g.share === 'ok' && (g.version ?? 0) >= version

/** In a full drill, a guardian whose only fault is its chunk proofs served bad data the restore made up for. */
function _mark(g: DrillGuardian, restore: RestoreDrill | undefined): string {
  if (g.pass) return 'ok  '
  return restore && _provedKeyAndVersion(g, restore.version) ? 'BAD ' : 'FAIL'
}

function _proofs(g: DrillGuardian): string {
  return g.reachable
    ? `share ${g.share}, version ${g.version}, ${g.chunksOk}/${g.chunksChecked} chunks`
    : `unreachable (${g.error})`
}

function _sayRestore(r: RestoreDrill): void {
  const from = r.holders.length > 0 ? ` from ${r.holders.join(', ')}` : ''
  say(
    `  Restore of version ${r.version}${from} into a private temp dir (removed): ${r.pass ? 'ok' : 'FAILED'}`,
  )
  for (const f of r.files) {
    const name = f.path === '' ? f.source : `${f.source}/${f.path}`
    const check = f.check.ok ? f.check.summary : `CHECK FAILED [${f.check.code}] ${f.check.reason}`
    say(`    ${name} (${f.kind}, ${f.size} bytes): ${check}${f.note ? `; ${f.note}` : ''}`)
  }
  for (const u of r.unread ?? [])
    say(
      u.asOf > 0
        ? `    ${u.source}: as of version ${u.asOf} (made ${stamp(u.asOfTime)}): version ${r.version} could not read it [${u.code}]`
        : `    ${u.source}: NOT in version ${r.version}: it could not be read [${u.code}]`,
    )
  if (r.failure) say(`    FAILED [${r.failure.code}] ${r.failure.reason}`)
  for (const b of r.bad)
    say(
      `    bad data from ${b.guardian}: ${b.what === 'chunk' ? 'a chunk that does not match its id' : b.what === 'manifest' ? 'a manifest that is not the committed one' : 'chunk proofs that do not match'}`,
    )
}
