/**
 * CLI errors and the one place errors become output: one human line on stderr and an exit status.
 * Stack traces only with KITH_DEBUG=1. Never prints an error's facts, which could be long.
 */
import { KithError } from '../errors.js'

/** Bad command-line input that yargs itself did not catch. */
export class UsageError extends KithError {
  readonly code = 'USAGE'
}

/** Bad input that yargs caught for one command: said with that command's usage line after it. */
export class CommandUsageError extends UsageError {
  constructor(
    message: string,
    /** `kith vault add-source <kind> <path>`: the command as its help names it. */
    readonly usage: string,
  ) {
    super(message)
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, internal: 70 } as const

/**
 * A command that printed its whole answer (its JSON report included) and ends with a non-zero status
 * that is part of that answer (`vault status`: degraded, at-risk, fenced; a failed drill). Nothing more
 * goes to stdout; a `failure`, if given, is its one line on stderr.
 */
export class ExitStatus extends Error {
  constructor(
    readonly exit: number,
    readonly failure?: KithError,
    /** False: nothing was printed yet, so under --json the failure is its JSON object too. */
    readonly reported = true,
  ) {
    super(`exit ${exit}`)
  }
}

/** Map any thrown value to the line the user sees, its code, and the exit status. */
export function describeFailure(err: unknown): {
  line: string
  exit: number
  code?: string
  /** The command already printed its answer: no JSON error object follows it. */
  reported?: boolean
} {
  if (err instanceof ExitStatus)
    return {
      line: err.failure ? describeFailure(err.failure).line : '',
      exit: err.exit,
      ...(err.failure ? { code: err.failure.code } : {}),
      reported: err.reported,
    }
  if (err instanceof UsageError) return { line: `kith: ${err.message}`, exit: EXIT.usage, code: err.code }
  if (err instanceof KithError)
    return { line: `kith: ${err.message} [${err.code}]`, exit: EXIT.failure, code: err.code }
  const e = err as NodeJS.ErrnoException
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    return { line: `kith: cannot access ${e.path} (${e.code})`, exit: EXIT.failure, code: 'FILE_ACCESS' }
  }
  return {
    line: `kith: internal error: ${e?.message ?? String(err)} (set KITH_DEBUG=1 for details)`,
    exit: EXIT.internal,
    code: 'INTERNAL',
  }
}
