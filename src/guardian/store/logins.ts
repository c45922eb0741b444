/**
 * One-time logins to the guardian's local page (table `web_logins`): `kith guardian open` makes a
 * token and stores only its SHA-256; the daemon's page takes it once, before it expires, and gives the
 * browser a session instead. The CLI and the daemon are two processes on one database.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { SqliteHandle } from '../../disk/sqlite.js'
import { duration } from '../../time/durations.js'

const _hash = (token: string) => createHash('sha256').update(token, 'utf8').digest()

export class LoginStore {
  constructor(private readonly sql: SqliteHandle) {}

  /** A new one-time token (43 characters of base64url, 256 bits); only its hash is kept. */
  create(now: number): string {
    const token = randomBytes(32).toString('base64url')
    this.sql.atomically(() => {
      this.sql.stmt('DELETE FROM web_logins WHERE expires_at < ? OR used_at IS NOT NULL').run(now)
      this.sql
        .stmt('INSERT INTO web_logins (token_hash, created_at, expires_at) VALUES (?, ?, ?)')
        .run(_hash(token), now, now + duration('loginLink'))
    })
    return token
  }

  /** Use a token: true once, for a token made here, unused and not expired; false ever after. */
  consume(token: string, now: number): boolean {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false
    const r = this.sql
      .stmt('UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at >= ?')
      .run(now, _hash(token), now)
    return r.changes === 1
  }
}
