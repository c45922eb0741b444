/**
 * Snapshot requests (docs/format.md §Snapshot request): a writer that cannot continue its journal (writes
 * were lost, or its log has no base) asks the key-holding process for a new version by leaving
 * `streams/<journal>.snapshot-request`. It holds no secret and nothing is read back from it by the writer;
 * a committed version whose mark reaches its position answers it, and then it is deleted. A request must
 * never be taken as anything but a reason to take one more snapshot.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../disk/atomic.js'
import type { JournalMark } from '../replica/manifest.js'
import { vaultPaths } from './paths.js'

export const SNAPSHOT_REQUEST_SUFFIX = '.snapshot-request'

export interface SnapshotRequest {
  readonly version: 1
  /** The journal that needs a base. */
  readonly journal: string
  /** The position the writer's next entry follows: a committed mark at (or past) it answers the request. */
  readonly position: number
  /** When it was written (ms), for the humans reading it. */
  readonly at: number
  /** The writer's process id, for the same humans. */
  readonly pid: number
}

export const snapshotRequestPath = (vaultDir: string, journal: string): string =>
  join(vaultPaths(vaultDir).journals, `${journal}${SNAPSHOT_REQUEST_SUFFIX}`)

/** Ask for a snapshot of `journal` reaching `position` (atomically, 0600; a request left before is replaced). */
export async function writeSnapshotRequest(
  vaultDir: string,
  request: Omit<SnapshotRequest, 'version'>,
): Promise<void> {
  const r: SnapshotRequest = { version: 1, ...request }
  await writeFileAtomic(snapshotRequestPath(vaultDir, request.journal), `${JSON.stringify(r)}\n`)
}

const _isU53 = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0

/** A request's text, or undefined for one this kith does not read (damaged, another version). */
export function parseSnapshotRequest(text: string): SnapshotRequest | undefined {
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof o !== 'object' || o === null) return undefined
  const r = o as Record<string, unknown>
  // a version this kith does not know is not read: it might mean something else
  if (r['version'] !== 1) return undefined
  if (typeof r['journal'] !== 'string' || r['journal'] === '') return undefined
  if (!_isU53(r['position']) || !_isU53(r['at']) || !_isU53(r['pid'])) return undefined
  return { version: 1, journal: r['journal'], position: r['position'], at: r['at'], pid: r['pid'] }
}

/** Every request in the vault's `streams/` directory; `unreadable` names the files that do not parse. */
export function listSnapshotRequests(vaultDir: string): {
  requests: SnapshotRequest[]
  unreadable: string[]
} {
  const dir = vaultPaths(vaultDir).journals
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(SNAPSHOT_REQUEST_SUFFIX) && !n.startsWith('.'))
  } catch {
    return { requests: [], unreadable: [] } // no streams/ directory: no journal, no request
  }
  const requests: SnapshotRequest[] = []
  const unreadable: string[] = []
  for (const n of names) {
    let text: string
    try {
      text = readFileSync(join(dir, n), 'utf8')
    } catch {
      continue // deleted meanwhile (answered by another process)
    }
    const r = parseSnapshotRequest(text)
    // a request's file name is its journal's: one that says another journal is not trusted either
    if (r === undefined || `${r.journal}${SNAPSHOT_REQUEST_SUFFIX}` !== n) unreadable.push(n)
    else requests.push(r)
  }
  return { requests, unreadable }
}

/** The requests `marks` (a committed version's) do not answer yet. */
export function pendingSnapshotRequests(vaultDir: string, marks: readonly JournalMark[]): SnapshotRequest[] {
  return listSnapshotRequests(vaultDir).requests.filter((r) => !_answers(marks, r))
}

const _answers = (marks: readonly JournalMark[], r: SnapshotRequest) =>
  marks.some((m) => m.journal === r.journal && m.position >= r.position)

/**
 * Delete the requests a committed version's `marks` answer; their number. Only the file read is deleted
 * if it still holds the same request (a writer may have asked again, further on, meanwhile).
 */
export function deleteAnsweredRequests(vaultDir: string, marks: readonly JournalMark[]): number {
  let deleted = 0
  for (const r of listSnapshotRequests(vaultDir).requests) {
    if (!_answers(marks, r)) continue
    const path = snapshotRequestPath(vaultDir, r.journal)
    // read again right before deleting: a newer request written since must stay
    let again: SnapshotRequest | undefined
    try {
      again = parseSnapshotRequest(readFileSync(path, 'utf8'))
    } catch {
      continue
    }
    if (again === undefined || !_answers(marks, again)) continue
    rmSync(path, { force: true })
    deleted++
  }
  return deleted
}
