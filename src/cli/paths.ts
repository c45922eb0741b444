/**
 * Paths the command line names: a file where a file is read or written, a folder where one is kept.
 * A path that cannot serve is refused with the option that named it and why, in words (BAD_PATH), never
 * an internal error; each check comes before anything is changed or anyone is asked.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { KithError } from '../errors.js'

export class PathOptionError extends KithError {
  readonly code = 'BAD_PATH'
  constructor(
    readonly option: string,
    readonly path: string,
    why: string,
  ) {
    super(`${option} ${path}: ${why}`, { option, path })
  }
}

/** What a failed file operation means to the person who named the path. */
function _why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
      return 'there is no such file or folder'
    case 'EISDIR':
      return 'this is a folder; give a file'
    case 'ENOTDIR':
      return 'a part of this path is a file, not a folder'
    case 'EACCES':
    case 'EPERM':
      return 'this user is not allowed to use it'
    case 'ELOOP':
      return 'it leads through too many symbolic links'
    case 'ENAMETOOLONG':
      return 'the name is too long'
    default:
      return `it cannot be used (${typeof code === 'string' ? code : 'an unknown error'})`
  }
}

/** The text of the file an option names. */
export async function readOptionFile(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new PathOptionError(option, path, _why(err))
  }
}

/** A folder an option names: there and a folder, or not there yet (the command makes it). */
export async function checkFolderOption(option: string, path: string): Promise<void> {
  const st = await stat(path).catch((err: unknown) => err as NodeJS.ErrnoException)
  if (st instanceof Error) {
    if (st.code === 'ENOENT') return
    throw new PathOptionError(option, path, _why(st))
  }
  if (!st.isDirectory()) throw new PathOptionError(option, path, 'this is a file; give a folder')
}

/** A file an option names for writing: not a folder, and in a folder that is there. */
export async function checkOutputFileOption(option: string, path: string): Promise<void> {
  const st = await stat(path).catch((err: unknown) => err as NodeJS.ErrnoException)
  if (!(st instanceof Error)) {
    if (st.isDirectory()) throw new PathOptionError(option, path, 'this is a folder; give a file name')
    return
  }
  if (st.code !== 'ENOENT') throw new PathOptionError(option, path, _why(st))
  const parent = await stat(dirname(path)).catch((err: unknown) => err as NodeJS.ErrnoException)
  if (parent instanceof Error || !parent.isDirectory())
    throw new PathOptionError(option, path, 'its folder is not there; make it first')
}

/** A file an option names for reading: there, and a file. */
export async function checkInputFileOption(option: string, path: string): Promise<void> {
  const st = await stat(path).catch((err: unknown) => err as NodeJS.ErrnoException)
  if (st instanceof Error) throw new PathOptionError(option, path, _why(st))
  if (st.isDirectory()) throw new PathOptionError(option, path, 'this is a folder; give a file')
}
