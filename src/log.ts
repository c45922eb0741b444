/**
 * Structured logs (pino): one JSON object per line with an ISO time, the component and, for errors, the
 * stable code. They go to a file (mode 0600), never to the terminal, where the CLI keeps its human lines.
 * What may be logged: ids, versions, counts, sizes, codes and peer IDs. Never a key, a share, file content,
 * an invite secret or a phone code; a test greps every log of a full backup and recovery for them.
 */
import { pino } from 'pino'
import { ensureSecretFile } from './disk/atomic.js'
import { KithError, thrownText } from './errors.js'

import type { LogLevel } from './log-levels.js'

export type { LogLevel } from './log-levels.js'

export type Log = pino.Logger

/** A logger writing to `file` (created 0600), or a silent one without a file. */
export function createLog(component: string, options: { file?: string; level?: LogLevel } = {}): Log {
  const level = options.level ?? 'info'
  if (options.file === undefined || level === 'silent') return pino({ level: 'silent' })
  ensureSecretFile(options.file)
  return pino(
    {
      level,
      base: { component, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: options.file, append: true, sync: true }),
  )
}

/**
 * Close a log's file once its owner is done (a command, a plugin run, a daemon). A process runs one of
 * them and exits, which closes it anyway; a process that runs many (a test, a daemon's helpers) would
 * otherwise keep a descriptor open for each.
 */
export function closeLog(log: Log): void {
  const file = Reflect.get(log, pino.symbols.streamSym) as { fd?: number; end?: () => void } | undefined
  // a silent log has no file: only a destination this module opened is ended
  if (typeof file?.fd === 'number' && file.fd > 2) file.end?.()
}

/** The fields to log for an error: its code and one-line message, never its stack or its facts. */
export function errorFields(err: unknown): { code: string; err: string } {
  return err instanceof KithError
    ? { code: err.code, err: err.message }
    : { code: 'INTERNAL', err: thrownText(err) }
}

/**
 * The logger of one component of a process (`p2p`, `coordinator`, `recovery`): a child of the process's
 * logger whose lines carry `module`, so each component is told apart in one file. Given to the
 * component by whoever creates it; nothing keeps a logger at module level.
 */
export function moduleLog(parent: Log, module: string): Log {
  return parent.child({ module })
}

/** A silent logger, for library callers and tests that do not want one. */
export const silentLog: Log = pino({ level: 'silent' })
