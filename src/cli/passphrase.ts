/** The vault passphrase, read from a file (never from the command line, where `ps` would show it). */
import { readFile } from 'node:fs/promises'
import { UsageError } from './errors.js'

export async function readPassphrase(file?: string): Promise<string | undefined> {
  if (file === undefined) return undefined
  const text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
  if (text.length === 0) throw new UsageError(`the passphrase file ${file} is empty`)
  return text
}
