/**
 * A directory lock for one process at a time that the kernel drops with its holder (§Lock file): an
 * exclusive SQLite transaction held open on an empty database, whose POSIX lock ends with the process (a
 * crash, SIGKILL), so no taker ever judges a lock stale and takes it over. The holder's pid is written
 * beside it, for the refused to name. Must never open the lock's database other than through SQLite:
 * closing any descriptor of a file drops every POSIX lock this process holds on it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { duration } from '../time/durations.js'
import { ensureSecretFileUnopened, SECRET_FILE_MODE } from './atomic.js'
import { LockedError } from './errors.js'
import { Database, SqliteError } from './sqlite-driver.js'

/** The lock at `path`: SQLite's lock on `<path>.sqlite3`, and the holder's pid in `path` (§Lock file). */
export function lockFiles(path: string): { readonly database: string; readonly pid: string } {
  return { database: `${path}.sqlite3`, pid: path }
}

/** Whether a process with this pid exists (one of another user's counts too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Begin the exclusive transaction on a connection of its own; undefined while another connection holds
 * it, in another process (the kernel refuses) or in this one (SQLite keeps each file's locks per process).
 */
function _begin(database: string): Database | undefined {
  ensureSecretFileUnopened(database)
  // timeout 0: a held lock is reported at once, never waited for inside SQLite
  const db = new Database(database, { timeout: 0, fileMustExist: true })
  try {
    // the transaction writes nothing; with its journal in memory no -journal file appears beside it
    db.pragma('journal_mode = MEMORY')
    db.exec('BEGIN EXCLUSIVE')
    return db
  } catch (err) {
    // another connection's lock survives this close: SQLite keeps the descriptor open while it holds
    db.close()
    if (err instanceof SqliteError && err.code.startsWith('SQLITE_BUSY')) return undefined
    throw err
  }
}

/**
 * Write this process's pid where the refused read it: a temp file renamed over it, so a reader sees a whole
 * pid. No fsync: the pid matters only while its writer lives, and a power loss ends every holder.
 */
function _writePid(path: string): void {
  const temp = `${path}.tmp`
  rmSync(temp, { force: true }) // a crashed holder's
  writeFileSync(temp, `${process.pid}\n`, { flag: 'wx', mode: SECRET_FILE_MODE })
  renameSync(temp, path)
}

/**
 * The pid the lock's holder wrote, if it names a live process; undefined in the moment between a new
 * holder's taking the lock and its writing the pid (the file is missing, or names a crashed holder).
 */
function _holder(path: string): number | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const pid = Number(/^(\d+)\n$/.exec(text)?.[1])
  return pid > 0 && (pid === process.pid || processAlive(pid)) ? pid : undefined
}

/**
 * The live process that holds the lock at `path`, as its pid file says; undefined when none does. Reads
 * only, and takes nothing: a daemon starting meanwhile is never turned away for it.
 */
export function lockHolder(path: string): number | undefined {
  return _holder(lockFiles(path).pid)
}

/** Block this thread for `ms` (a holder is between two system calls: no event is worth waiting for). */
function _pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The release of a lock just taken: its pid goes first, while the lock still keeps others out. */
function _held(db: Database, pidPath: string): () => void {
  try {
    _writePid(pidPath)
  } catch (err) {
    db.close()
    throw err
  }
  let held = true
  return () => {
    if (!held) return
    held = false
    try {
      rmSync(pidPath, { force: true }) // gone already if its directory was removed
    } finally {
      db.close()
    }
  }
}

/**
 * Take the lock at `path` or throw LockedError naming the holder's pid (-1 if a holder stalled between
 * taking the lock and writing its pid for `lockHolder`); returns its release function (idempotent). A second
 * taker in this process is refused as well.
 */
export function acquireLock(path: string, what: string): () => void {
  const files = lockFiles(path)
  const until = Date.now() + duration('lockHolder')
  for (;;) {
    const db = _begin(files.database)
    if (db !== undefined) return _held(db, files.pid)
    const pid = _holder(files.pid)
    if (pid !== undefined) throw new LockedError(what, pid)
    if (Date.now() >= until) throw new LockedError(what, -1)
    _pause(duration('lockPoll'))
  }
}

/**
 * Take the lock at `path`, waiting (polling) while another process holds it, up to `timeoutMs`;
 * `onWait` hears the holder's pid once, when the wait begins.
 */
export async function acquireLockWaiting(
  path: string,
  what: string,
  timeoutMs: number,
  onWait?: (pid: number) => void,
): Promise<() => void> {
  const deadline = Date.now() + timeoutMs
  let told = false
  for (;;) {
    try {
      return acquireLock(path, what)
    } catch (err) {
      if (!(err instanceof LockedError) || Date.now() > deadline) throw err
      if (!told) onWait?.(err.pid)
      told = true
      await new Promise((r) => setTimeout(r, duration('lockPoll')))
    }
  }
}
