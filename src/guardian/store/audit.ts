/**
 * The guardian's audit log (table `events`): append-only, one row per thing that happened to a vault
 * or an invite. Details are small facts (versions, epochs, request ids), never a secret.
 */
import type { SqliteHandle } from '../../disk/sqlite.js'

export class AuditLog {
  constructor(private readonly sql: SqliteHandle) {}

  record(vaultId: Uint8Array | null, kind: string, detail: Record<string, unknown>, now: number): void {
    this.sql
      .stmt('INSERT INTO events (at, vault_id, kind, detail) VALUES (?, ?, ?, ?)')
      .run(now, vaultId, kind, JSON.stringify(detail))
  }

  /** The kinds of every event recorded, oldest first (for the audit history and its tests). */
  kinds(): string[] {
    const rows = this.sql.stmt('SELECT kind FROM events ORDER BY seq').all() as { kind: string }[]
    return rows.map((r) => r.kind)
  }
}
