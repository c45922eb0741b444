/**
 * A journal on recovery (docs/recovery.md, docs/format.md §Live stream): the snapshot in the restored
 * version stops at its mark; every reachable guardian is asked for the journal's newest entry (signed by
 * a writer key the vault key certified). The target is an entry, not a number: the newest one proved
 * whose chain back to the mark the approving guardians' entries complete, walked backward by hash, so an
 * entry a rewind replaced (still at a guardian that was away) is never applied, and nothing is mixed in
 * from another run. Each entry is checked (signature, position, hash chain) before it is applied, one
 * SQLite transaction each. A guardian can withhold entries, never forge one; too few answers were
 * already refused by the versions' freshness rule.
 */
import { rename, unlink } from 'node:fs/promises'
import { decodeUnsigned } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { Database } from '../disk/sqlite-driver.js'
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
import { JournalForkedError, JournalIncompleteError, PossiblyStaleError } from './errors.js'

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

/** What an approving guardian gave of the journal after the mark: verified entries, by hash. */
async function _run(
  ctx: RecoveryContext,
  h: JournalHead,
  mark: JournalMark,
  into: Map<string, JournalEntry>,
): Promise<void> {
  const last = h.newest?.position ?? 0
  let from = mark.position + 1
  while (from <= last) {
    let run: readonly { entry: Uint8Array }[]
    try {
      const bytes = await fetchFromPeer(
        await ctx.node(),
        h.t,
        ctx.opts.vaultId,
        { what: 'entries', journal: mark.journal, from },
        { signal: AbortSignal.timeout(duration('askJournal')), log: ctx.p2pLog },
      )
      run = decodeUnsigned(MSG.journalEntries, bytes).entries
    } catch (err) {
      ctx.log.debug({ event: 'entries-not-given', guardian: h.t.label, from, ...errorFields(err) })
      return
    }
    let next = from
    for (const { entry } of run) {
      let e: JournalEntry
      try {
        e = openEntry(entry, h.cert.writerKey)
        if (e.journal !== mark.journal || !equalBytes(e.vaultId, ctx.opts.vaultId))
          throw new BadEntryError(e.position, 'journal')
        if (e.position !== next) throw new BadEntryError(e.position, 'position')
      } catch (err) {
        // not this guardian's writer, tampered, or not the run it was asked for: a lie, said
        ctx.distrust(h.t, 'journal-entry', err)
        return
      }
      into.set(toHex(e.hash), e)
      next++
    }
    // nothing more to give (withheld, or compacted away): what it gave stays usable
    if (next === from) return
    from = next
  }
}

/**
 * The chain of entries that ends at `top` and starts right after the mark, walked backward by each
 * entry's `prev` through `known`; undefined where a link is missing.
 */
function _chainTo(top: JournalEntry, mark: JournalMark, known: ReadonlyMap<string, JournalEntry>) {
  const chain: JournalEntry[] = []
  let e: JournalEntry | undefined = top
  for (let position = top.position; position > mark.position; position--) {
    if (e === undefined || e.position !== position) return undefined
    chain.push(e)
    e = position - 1 > mark.position ? known.get(toHex(e.prev)) : undefined
  }
  const first = chain.at(-1)
  return first !== undefined && equalBytes(first.prev, mark.hash) ? chain.reverse() : undefined
}

/** The distinct newest entries the guardians proved, the most trusted first: highest, then most held. */
function _targets(heads: readonly JournalHead[], mark: JournalMark) {
  const byHash = new Map<string, { entry: JournalEntry; holders: JournalHead[] }>()
  for (const h of heads) {
    if (h.newest === undefined || h.newest.position <= mark.position) continue
    const key = toHex(h.newest.hash)
    const t = byHash.get(key) ?? { entry: h.newest, holders: [] }
    t.holders.push(h)
    byHash.set(key, t)
  }
  return [...byHash.values()].sort(
    (a, b) => b.entry.position - a.entry.position || b.holders.length - a.holders.length,
  )
}

/**
 * The entries to apply after `mark`: the chain from the mark to the newest entry a guardian proved
 * that the approving guardians' entries can reach, walked backward from that entry's hash. A rewind
 * leaves the entry it replaced at guardians that were away: two entries at one position, the one more
 * guardians hold first; an entry off the chosen chain is not a lie, and is never applied. Two
 * candidates of one position and as many holders, both complete, are a fork: refused.
 */
async function _entries(
  ctx: RecoveryContext,
  heads: readonly JournalHead[],
  mark: JournalMark,
): Promise<{ target: number; entries: JournalEntry[] }> {
  const known = new Map<string, JournalEntry>()
  for (const h of heads) if (h.newest !== undefined) known.set(toHex(h.newest.hash), h.newest)
  const sources = heads.filter((h) => approvedBy(h.t) && (h.newest?.position ?? 0) > mark.position)
  const asked = new Set<JournalHead>()
  const targets = _targets(heads, mark)
  for (const [i, t] of targets.entries()) {
    // its holders first: they hold its chain, unless compacted; then the others, for what is missing
    let chain = _chainTo(t.entry, mark, known)
    for (const h of [...sources].sort((a, b) => +t.holders.includes(b) - +t.holders.includes(a))) {
      if (chain !== undefined) break
      if (asked.has(h)) continue
      asked.add(h)
      await _run(ctx, h, mark, known)
      chain = _chainTo(t.entry, mark, known)
    }
    if (chain === undefined) continue
    const twin = targets
      .slice(i + 1)
      .find(
        (o) =>
          o.entry.position === t.entry.position &&
          o.holders.length === t.holders.length &&
          _chainTo(o.entry, mark, known) !== undefined,
      )
    if (twin !== undefined)
      throw new JournalForkedError(
        mark.journal,
        t.entry.position,
        [...t.holders, ...twin.holders].map((h) => h.t.label),
      )
    return { target: t.entry.position, entries: chain }
  }
  const top = targets[0]?.entry.position ?? mark.position
  if (top > mark.position) throw new JournalIncompleteError(mark.journal, mark.position + 1, top)
  return { target: mark.position, entries: [] }
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
  ctx.log.info({
    event: 'journal-heads',
    journal: mark.journal,
    answered: heads.length,
    needed: rule.needed,
    from: mark.position,
    newest: Math.max(mark.position, ...heads.map((h) => h.newest?.position ?? 0)),
  })
  const { target, entries } = await _entries(ctx, heads, mark)
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
