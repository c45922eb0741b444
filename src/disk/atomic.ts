/**
 * Crash-safe file writes: temp file (created with its final mode, 0600 by default), write, fsync,
 * rename, fsync the directory. A reader sees the old file or the whole new one, never a part.
 * Must never chmod after creation (the secret would be briefly readable) or leave a temp behind.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, fchmodSync, fstatSync, openSync, type Stats, statSync } from 'node:fs'
import { chmod, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import { LocalPathRefusedError } from './errors.js'

/** Owner-only modes for secrets and data directories. */
export const SECRET_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** The user kith runs as (undefined where the platform has no uids). */
const _uid = (): number | undefined => process.getuid?.()

/** Refuse what another user owns; true if `st` has group or other permission bits (to be tightened). */
function _ownAndLoose(path: string, st: Stats): boolean {
  const uid = _uid()
  if (uid !== undefined && st.uid !== uid)
    throw new LocalPathRefusedError(
      path,
      `it belongs to another user (uid ${st.uid}); kith keeps secrets there`,
    )
  return (st.mode & 0o077) !== 0
}

/**
 * Create a directory tree with mode 0700 on every directory it creates. An existing one must be a
 * directory of this user; group or other permissions on it are taken away (it holds secrets).
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE })
  const st = await stat(path)
  if (!st.isDirectory()) throw new LocalPathRefusedError(path, 'it is not a directory')
  if (_ownAndLoose(path, st)) await chmod(path, PRIVATE_DIR_MODE)
}

/**
 * Create `path` empty with mode 0600 if it does not exist, so a library that opens it later (SQLite, the
 * log) never creates it with a wider mode. An existing one must be this user's; a wider mode is taken
 * back to 0600 on the open descriptor.
 */
export function ensureSecretFile(path: string): void {
  const fd = openSync(path, 'a', SECRET_FILE_MODE)
  try {
    if (_ownAndLoose(path, fstatSync(fd))) fchmodSync(fd, SECRET_FILE_MODE)
  } finally {
    closeSync(fd)
  }
}

/**
 * `ensureSecretFile` for a file this process may hold a POSIX lock on (disk/lock.ts): created empty (0600)
 * only where it is missing, and an existing one checked and tightened by its path, never opened, since
 * closing any descriptor of a file drops every POSIX lock this process holds on it.
 */
export function ensureSecretFileUnopened(path: string): void {
  try {
    closeSync(openSync(path, 'wx', SECRET_FILE_MODE))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    if (_ownAndLoose(path, statSync(path))) chmodSync(path, SECRET_FILE_MODE)
  }
}

/** An existing secret file (if there is one) made owner-only; another user's is refused. */
export async function tightenSecretFile(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined)
  if (st !== undefined && _ownAndLoose(path, st)) await chmod(path, SECRET_FILE_MODE)
}

/**
 * Refuse to write below `root` through a symbolic link: `root` itself and every existing directory
 * between it and `dir` must be a real directory. Restored files never land outside the folder named.
 */
export async function refuseSymlinks(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir)
  if (rel.startsWith('..')) throw new LocalPathRefusedError(dir, `it is outside ${root}`)
  let at = root
  for (const part of ['', ...(rel === '' ? [] : rel.split(sep))]) {
    at = part === '' ? at : join(at, part)
    const st = await lstat(at).catch(() => undefined)
    if (st === undefined) return // not there yet: created below as a real directory
    if (st.isSymbolicLink())
      throw new LocalPathRefusedError(at, 'it is a symbolic link; restore never follows one')
    if (!st.isDirectory()) throw new LocalPathRefusedError(at, 'it is not a directory')
  }
}

/** fsync a directory so a rename inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

export interface AtomicWriteOptions {
  /** Mode at creation; default 0600. */
  readonly mode?: number
  /** Runs after all bytes are written and synced, before the rename; a throw discards the file. */
  readonly verify?: () => void
  /** fsync the directory after the rename (default). A caller writing many files may do it once. */
  readonly syncDir?: boolean
}

/** How much of a large file is written before it is flushed to disk on the side. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024

/** Write `data` (text, bytes, or a stream of bytes) to `path` atomically and durably. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(temp, 'wx', options.mode ?? SECRET_FILE_MODE)
  let done = false
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data)
    else {
      // a large file is flushed to disk as it is written (one flush in flight, beside the writing), so
      // the sync below waits only for the last piece instead of for the whole file
      let unsynced = 0
      let flushing: Promise<void> | undefined
      for await (const piece of data) {
        await fh.write(piece)
        unsynced += piece.length
        if (unsynced >= FLUSH_EVERY_BYTES) {
          await flushing
          flushing = fh.datasync()
          flushing.catch(() => undefined) // awaited below; a failure is thrown there, not left unhandled
          unsynced = 0
        }
      }
      await flushing
    }
    await fh.sync()
    await fh.close()
    options.verify?.()
    await rename(temp, path)
    done = true
    if (options.syncDir !== false) await fsyncDir(dir)
  } finally {
    if (!done) {
      // cleaning up after a failure that is already being thrown: its error is the one that matters
      await fh.close().catch(() => undefined)
      await unlink(temp).catch(() => undefined)
    }
  }
}
