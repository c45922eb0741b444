/**
 * The guardian's audit log (table `events`): append-only, one row per thing that happened to a vault
 * or an invite. Details are small facts (versions, epochs, request ids), never a secret.
 */
import type { SqliteHandle } from '../../disk/sqlite.js'

export interface AuditEvent {
  readonly seq: number
  readonly at: number
  readonly vaultId: Uint8Array | null
  readonly kind: string
  /** Small facts: numbers and short strings only (anything else is dropped when read). */
  readonly detail: Readonly<Record<string, number | string>>
}

/** An event's detail as stored: a JSON object of numbers and strings, whatever else a row may hold. */
function _detail(text: string): Record<string, number | string> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return {}
  }
  if (parsed === null || typeof parsed !== 'object') return {}
  const out: Record<string, number | string> = {}
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' || typeof v === 'string') out[k] = v
  return out
}

export class AuditLog {
  constructor(private readonly sql: SqliteHandle) {}

  record(vaultId: Uint8Array | null, kind: string, detail: Record<string, unknown>, now: number): void {
    this.sql
      .stmt('INSERT INTO events (at, vault_id, kind, detail) VALUES (?, ?, ?, ?)')
      .run(now, vaultId, kind, JSON.stringify(detail))
  }

  /** Whether an event of `kind` about request `request` (hex) of this vault was recorded. */
  hasRequestEvent(vaultId: Uint8Array, kind: string, request: string): boolean {
    return (
      this.sql
        .stmt(
          "SELECT 1 FROM events WHERE vault_id = ? AND kind = ? AND json_extract(detail, '$.request') = ? LIMIT 1",
        )
        .get(vaultId, kind, request) !== undefined
    )
  }

  /** The newest events first, `limit` of them, older than `before` (a seq) when given. */
  recent(limit: number, before?: number): AuditEvent[] {
    const rows = this.sql
      .stmt('SELECT seq, at, vault_id, kind, detail FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?')
      .all(before ?? Number.MAX_SAFE_INTEGER, limit) as {
      seq: number
      at: number
      vault_id: Uint8Array | null
      kind: string
      detail: string
    }[]
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      vaultId: r.vault_id,
      kind: r.kind,
      detail: _detail(r.detail),
    }))
  }

  /** The kinds of every event recorded, oldest first (for the audit history and its tests). */
  kinds(): string[] {
    const rows = this.sql.stmt('SELECT kind FROM events ORDER BY seq').all() as { kind: string }[]
    return rows.map((r) => r.kind)
  }
}
