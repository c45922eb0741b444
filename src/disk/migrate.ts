/**
 * Numbered SQLite schema migrations: migration i brings a database from user_version i to i + 1, in
 * one transaction. A released migration is never edited; a change is a new number. A database newer
 * than the code is refused, never downgraded.
 */
import type { Database } from 'better-sqlite3'

export function migrate(db: Database, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > migrations.length) {
    throw new Error(`database schema ${current} is newer than this kith (${migrations.length}); upgrade kith`)
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}
