/** The owner's paper share at rest (coordinator migration 7; docs/format.md §Paper share). */
import type { SqliteHandle } from '../disk/sqlite.js'

export class PaperShareStore {
  constructor(
    private readonly sql: SqliteHandle,
    private readonly event: (kind: string, detail: Record<string, unknown>, now: number) => void,
  ) {}

  /** Whether the vault's split has the owner's paper share (kith vault paper-share turned it on). */
  enabled(): boolean {
    return (this.sql.stmt('SELECT paper FROM vault WHERE id = 1').get() as { paper: number }).paper === 1
  }

  /** From the next epoch on, the split has the owner's paper share. */
  enable(now: number): void {
    this.sql.stmt('UPDATE vault SET paper = 1 WHERE id = 1').run()
    this.event('paper-share-enabled', {}, now)
  }

  /** The owner's paper share of `epoch`, sealed, and when it was last printed. */
  of(epoch: number): { sealed: Uint8Array; printedAt: number | null } | undefined {
    const r = this.sql.stmt('SELECT sealed, printed_at FROM paper_shares WHERE epoch = ?').get(epoch) as
      | { sealed: Buffer; printed_at: number | null }
      | undefined
    return r === undefined ? undefined : { sealed: r.sealed, printedAt: r.printed_at }
  }

  /** The newest epoch whose paper share was printed, if any. */
  newestPrinted(): { epoch: number; printedAt: number } | undefined {
    const r = this.sql
      .stmt(
        'SELECT epoch, printed_at FROM paper_shares WHERE printed_at IS NOT NULL ORDER BY epoch DESC LIMIT 1',
      )
      .get() as { epoch: number; printed_at: number } | undefined
    return r === undefined ? undefined : { epoch: r.epoch, printedAt: r.printed_at }
  }

  markPrinted(epoch: number, now: number): void {
    this.sql.stmt('UPDATE paper_shares SET printed_at = ? WHERE epoch = ?').run(now, epoch)
    this.event('paper-share-printed', { epoch }, now)
  }
}
