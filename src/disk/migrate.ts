/**
 * Numbered SQLite schema migrations: migration i brings a database from user_version i to i + 1, in
 * one transaction. A released migration is never edited; a change is a new number. A database newer
 * than the code is refused, never downgraded.
 */

import { SchemaTooNewError } from './errors.js'
import type { Database } from './sqlite-driver.js'

export function migrate(db: Database, migrations: readonly string[]): void {
  const current: unknown = db.pragma('user_version', { simple: true })
  if (typeof current !== 'number') throw new TypeError('user_version is not a number')
  if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length)
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}
