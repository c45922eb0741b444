/**
 * The coordinator's data directory (docs/format.md §Data directories): where each file of a vault lives.
 * Layout is defined here and nowhere else; this module loads nothing heavy, so the CLI can name paths
 * without starting the network stack.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export const DEFAULT_VAULT_DIR = join(homedir(), '.kith', 'vault')

export const vaultPaths = (dir: string) => ({
  key: join(dir, 'vault.key'),
  db: join(dir, 'vault.sqlite3'),
  peerKey: join(dir, 'peer.key'),
  /** Encrypted chunks of versions built here (content-addressed), what pushes read from. */
  chunks: join(dir, 'chunks'),
  /** Consistent snapshots of SQLite sources, taken before each build. */
  staging: join(dir, 'staging'),
  /**
   * Journals: each writer's log (`<name>.sqlite3`), and the CLN plugin's files. The directory keeps the
   * journal's historical name.
   */
  journals: join(dir, 'streams'),
  /** Held by the one process allowed to change the vault (see disk/lock.ts). */
  lock: join(dir, 'vault.lock'),
})

/** A journal's writer log in a vault directory. */
export const journalLogPath = (dir: string, journal: string): string =>
  join(dir, 'streams', `${journal}.sqlite3`)
