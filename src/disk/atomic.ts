/**
 * Crash-safe file writes: temp file (created with its final mode, 0600 by default), write, fsync,
 * rename, fsync the directory. A reader sees the old file or the whole new one, never a part.
 * Must never chmod after creation (the secret would be briefly readable) or leave a temp behind.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Owner-only modes for secrets and data directories. */
export const SECRET_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** Create a directory tree with mode 0700 on every directory it creates. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE })
}

/** Create `path` empty with mode 0600 if it does not exist, so a library that opens it later
 * (SQLite) never creates it with a wider mode. */
export function ensureSecretFile(path: string): void {
  closeSync(openSync(path, 'a', SECRET_FILE_MODE))
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
    else for await (const piece of data) await fh.write(piece)
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
