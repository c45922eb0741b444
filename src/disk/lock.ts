/**
 * A directory lock for one process at a time: a file created exclusively (0600) holding the owner's
 * pid. A lock whose owner is gone (a crash, SIGKILL) is taken over; a live owner's lock is refused.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { duration } from '../time/durations.js'
import { LockedError } from './errors.js'

function _alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Remove a lock file; one already gone (its directory was removed) is released as well. */
function _removeIfThere(path: string): void {
  try {
    unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** Take the lock at `path` or throw LockedError; returns its release function (idempotent). */
export function acquireLock(path: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      let held = true
      return () => {
        if (held) _removeIfThere(path)
        held = false
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && _alive(pid)) throw new LockedError(what, pid)
      // the owner died without releasing it
      unlinkSync(path)
    }
  }
  throw new LockedError(what, -1)
}

/**
 * Take the lock at `path`, waiting (polling) while another live process holds it, up to `timeoutMs`;
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
