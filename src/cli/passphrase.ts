/**
 * Secrets the CLI reads: a passphrase, invites. Never from a command-line argument of their own (visible
 * in `ps` and the shell history): from a file, or from standard input when the file is '-'. A file may be
 * systemd's credentials directory (docs/operator.md).
 */
import { UsageError } from './errors.js'
import { readOptionFile } from './paths.js'

/**
 * The text of `file`, or of standard input for '-' (one secret per command can come from there); a file
 * that cannot be read is BAD_PATH, naming `option`.
 */
export async function readSecretText(file: string, option: string): Promise<string> {
  if (file !== '-') return readOptionFile(option, file)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks).toString('utf8')
}

/** The passphrase in `file` ('-': standard input), without its final newline; undefined without a file. */
export async function readPassphrase(
  file?: string,
  option = '--passphrase-file',
): Promise<string | undefined> {
  if (file === undefined) return undefined
  const text = (await readSecretText(file, option)).replace(/\r?\n$/, '')
  if (text.length === 0)
    throw new UsageError(`the passphrase ${file === '-' ? 'on standard input' : `file ${file}`} is empty`)
  return text
}
