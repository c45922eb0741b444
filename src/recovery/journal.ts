/**
 * A journal on recovery (docs/recovery.md, docs/format.md §Live stream): the snapshot in the restored
 * version stops at its mark; every reachable guardian is asked for the journal's newest entry (signed by
 * a writer key the vault key certified), the newest any of them proves is the target, and the entries
 * between are fetched from the approving guardians, each checked (signature, position, hash chain from
 * the mark) before it is applied, one SQLite transaction each. A guardian can withhold entries, never
 * forge one; too few answers were already refused by the versions' freshness rule.
 */
import { rename, unlink } from 'node:fs/promises'
import Database from 'better-sqlite3'
import { decodeUnsigned } from '../codec/record.js'
import { equalBytes } from '../crypto/bytes.js'
import {
  entryPlaintext,
  type JournalEntry,
  openEntry,
  openWriterCertificate,
  type WriterCertificate,
} from '../journal/entry.js'
import { BadEntryError } from '../journal/errors.js'
import { errorFields } from '../log.js'
import { fetchFromPeer } from '../p2p/client.js'
import { MSG } from '../p2p/messages.js'
import { WrongVaultError } from '../replica/errors.js'
import type { JournalMark } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { approvedBy, type RecoveryContext, type Tracked } from './context.js'
import { JournalIncompleteError, PossiblyStaleError } from './errors.js'

/** Where a restored database that must not be used went (see setAsideStale). */
export type SetAside =
  | { readonly action: 'renamed'; readonly to: string }
  | { readonly action: 'removed'; readonly error: string }
  | { readonly action: 'left'; readonly error: string }

/** The file operations setAsideStale needs (node's, but for a test of the case no disk gives as root). */
export interface StaleFiles {
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
}

/** The suffix a restored database older than the node's last state gets, so that nobody starts a node on it. */
export const STALE_SUFFIX = '.STALE-DO-NOT-USE'

/**
 * Put a restored database that is older than the node's last state (its journal could not be replayed)
 * where no node can start on it: renamed `….STALE-DO-NOT-USE`; if the rename fails (the name taken by a
 * directory, too long, the folder read-only), deleted instead: this recovery wrote it moments ago and the
 * guardians still hold its snapshot, so nothing is lost; if that fails too, it is left under its real
 * name, and the caller must say so louder than anything else. Never throws.
 */
export async function setAsideStale(path: string, files: StaleFiles = { rename, unlink }): Promise<SetAside> {
  const to = `${path}${STALE_SUFFIX}`
  let renameError: string
  try {
    await files.rename(path, to)
    return { action: 'renamed', to }
  } catch (err) {
    renameError = _errno(err)
  }
  try {
    await files.unlink(path)
    return { action: 'removed', error: renameError }
  } catch (err) {
    return { action: 'left', error: `${renameError}, then ${_errno(err)}` }
  }
}

/** A file system error as its code (ENOTEMPTY, EACCES, …): bounded, and without the path. */
const _errno = (err: unknown): string => {
  const code: unknown = err instanceof Error ? Reflect.get(err, 'code') : undefined
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : 'EIO'
}

/** A guardian's view of the journal: its writer certificate (verified) and newest entry (verified). */
interface JournalHead {
  readonly t: Tracked
  readonly cert: WriterCertificate
  readonly newest?: JournalEntry
}

async function _head(ctx: RecoveryContext, t: Tracked, journal: string): Promise<JournalHead | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await fetchFromPeer(
      await ctx.node(),
      t,
      ctx.opts.vaultId,
      { what: 'journalHead', journal },
      { signal: AbortSignal.timeout(duration('askJournal')), log: ctx.p2pLog },
    )
  } catch (err) {
    // unreachable, or holds no such journal: it counts for nothing
    ctx.log.debug({ event: 'journal-head-not-given', guardian: t.label, journal, ...errorFields(err) })
    return undefined
  }
  try {
    const r = decodeUnsigned(MSG.journalEntries, bytes)
    if (r.certificate === undefined) return undefined
    const cert = openWriterCertificate(r.certificate)
    if (!equalBytes(cert.vaultId, ctx.opts.vaultId)) throw new WrongVaultError('writer certificate')
    if (cert.journal !== journal) throw new BadEntryError(0, 'writer')
    const e = r.entries[0] === undefined ? undefined : openEntry(r.entries[0].entry, cert.writerKey)
    if (e !== undefined && (e.journal !== journal || !equalBytes(e.vaultId, ctx.opts.vaultId)))
      throw new BadEntryError(e.position, 'journal')
    return { t, cert, ...(e !== undefined ? { newest: e } : {}) }
  } catch (err) {
    // proves nothing, and counts for nothing: said, since an honest guardian sends no such thing
    ctx.distrust(t, 'journal-head', err)
    return undefined
  }
}

/** Entries after `mark` up to `target`, from approving guardians, each verified and chained. */
async function _entries(
  ctx: RecoveryContext,
  heads: readonly JournalHead[],
  mark: JournalMark,
  target: number,
): Promise<JournalEntry[]> {
  const out: JournalEntry[] = []
  let prev = mark.hash
  let next = mark.position + 1
  const sources = heads.filter((h) => approvedBy(h.t) && (h.newest?.position ?? 0) >= next)
  while (next <= target) {
    let progressed = false
    for (const h of sources) {
      let run: readonly { entry: Uint8Array }[]
      try {
        const bytes = await fetchFromPeer(
          await ctx.node(),
          h.t,
          ctx.opts.vaultId,
          { what: 'entries', journal: mark.journal, from: next },
          { signal: AbortSignal.timeout(duration('askJournal')), log: ctx.p2pLog },
        )
        run = decodeUnsigned(MSG.journalEntries, bytes).entries
      } catch (err) {
        ctx.log.debug({ event: 'entries-not-given', guardian: h.t.label, from: next, ...errorFields(err) })
        continue
      }
      for (const { entry } of run) {
        let e: JournalEntry
        try {
          e = openEntry(entry, h.cert.writerKey)
        } catch (err) {
          // not this guardian's writer, or tampered: try the next guardian from here
          ctx.distrust(h.t, 'journal-entry', err)
          break
        }
        const wrong =
          e.journal !== mark.journal
            ? 'journal'
            : e.position !== next
              ? 'position'
              : !equalBytes(e.prev, prev)
                ? 'chain'
                : undefined
        if (wrong !== undefined) {
          // an entry a rewind replaced (a guardian away at the time) does not chain either: said, not used
          ctx.distrust(h.t, 'journal-entry', new BadEntryError(e.position, wrong))
          break
        }
        out.push(e)
        prev = e.hash
        next++
        progressed = true
        if (next > target) break
      }
      if (next > target) break
    }
    if (!progressed) throw new JournalIncompleteError(mark.journal, next, target)
  }
  return out
}

/**
 * Bring the restored database at `path` from its snapshot's mark to the newest position the guardians
 * prove: every entry applied in order, one transaction each. Returns the position it ends at.
 */
export async function replayJournal(
  ctx: RecoveryContext,
  targets: readonly Tracked[],
  mark: JournalMark,
  journalKey: Uint8Array,
  path: string,
  rule: { needed: number; tolerate: number },
): Promise<{ position: number; applied: number; answered: number }> {
  const heads = (await Promise.all(targets.map((t) => _head(ctx, t, mark.journal)))).filter(
    (h): h is JournalHead => h !== undefined,
  )
  // the versions' rule, for the journal too: a committed entry is on W guardians, so with n − W + 1 + f
  // answers one of them holds it even if f of those who answered lie or were rolled back
  if (heads.length < rule.needed && ctx.opts.acceptStale !== true)
    throw new PossiblyStaleError(heads.length, rule.needed, mark.position, rule.tolerate)
  const target = Math.max(mark.position, ...heads.map((h) => h.newest?.position ?? 0))
  ctx.log.info({
    event: 'journal-heads',
    journal: mark.journal,
    answered: heads.length,
    needed: rule.needed,
    from: mark.position,
    to: target,
  })
  const entries = target > mark.position ? await _entries(ctx, heads, mark, target) : []
  const db = new Database(path)
  try {
    for (const e of entries) {
      const writes = JSON.parse(new TextDecoder().decode(entryPlaintext(e, journalKey))) as unknown
      if (!Array.isArray(writes)) throw new BadEntryError(e.position, 'journal')
      db.transaction(() => {
        for (const w of writes) db.exec(String(w))
      })()
    }
    const check = db.pragma('integrity_check', { simple: true })
    if (check !== 'ok') throw new JournalIncompleteError(mark.journal, target, target)
  } finally {
    db.close()
  }
  return { position: target, applied: entries.length, answered: heads.length }
}
