/**
 * Typed commands on yargs, in lodestar's shape: each command's options are an object typed by its
 * arguments interface, so an option's name, type and default must match what the handler reads. At the
 * yargs boundary every argument is checked against its declared type once, before the handler runs.
 */
import type { Argv, CommandModule, Options } from 'yargs'
import type { LogLevel } from '../log.js'
import { UsageError } from './errors.js'

/** What every command may read besides its own options. */
export interface GlobalArgs {
  readonly logLevel: LogLevel
  readonly logFile?: string
}

type _Kind<T> = [NonNullable<T>] extends [boolean]
  ? { readonly type: 'boolean' }
  : [NonNullable<T>] extends [number]
    ? { readonly type: 'number' }
    : [NonNullable<T>] extends [readonly string[]]
      ? { readonly type: 'string'; readonly array: true }
      : [NonNullable<T>] extends [string]
        ? { readonly type: 'string' }
        : never

/** One option (or positional), declared for an argument of type T. */
export type CliOption<T> = _Kind<T> & {
  readonly describe: string
  /** A positional argument named in the command string, rather than a --flag. */
  readonly positional?: true
  readonly alias?: string
  readonly choices?: readonly NonNullable<T>[]
  readonly default?: T
  /** Required; implied for arguments whose type does not allow undefined. */
  readonly demandOption?: true
}

export type CliOptions<A> = { readonly [K in keyof A]-?: CliOption<A[K]> }

/** What the adapter below needs to know of any option. */
interface OptionSpec {
  readonly type: 'string' | 'number' | 'boolean'
  readonly array?: true
  readonly positional?: true
}

/** The declared options, by name. */
function _specs<A>(options: CliOptions<A>): [string, OptionSpec & Omit<Options, 'type'>][] {
  return Object.entries(options as object)
}

export interface CliCommand<A> {
  /** yargs command string: the name and its positionals, e.g. 'approve <request>'. */
  readonly command: string
  readonly describe: string
  readonly options: CliOptions<A>
  readonly handler: (args: A & GlobalArgs) => Promise<void>
}

/** `dataDir` is `--data-dir` on the command line. */
const _flag = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

function _matches(spec: { type: string; array?: true }, value: unknown): boolean {
  if (spec.array) return Array.isArray(value) && value.every((v) => typeof v === 'string')
  return typeof value === spec.type && (spec.type !== 'number' || Number.isFinite(value))
}

/** Read and check the arguments a command declared, and the global ones. */
function _args<A>(options: CliOptions<A>, argv: Record<string, unknown>): A & GlobalArgs {
  const out: Record<string, unknown> = { logLevel: argv['logLevel'] }
  if (typeof argv['logFile'] === 'string') out['logFile'] = argv['logFile']
  for (const [name, spec] of _specs(options)) {
    let value = argv[name]
    // a single positional given for an array argument arrives as a string
    if (spec.array && typeof value === 'string') value = [value]
    if (value === undefined) continue
    if (!_matches(spec, value)) throw new UsageError(`--${_flag(name)} must be a ${spec.type}`)
    out[name] = value
  }
  // every declared argument was checked against its type above; absent ones are the optional ones
  return out as A & GlobalArgs
}

/** The yargs module of a typed command. */
function toYargs<A>(cmd: CliCommand<A>): CommandModule {
  return {
    command: cmd.command,
    describe: cmd.describe,
    builder: (y: Argv) => {
      let b = y
      for (const [name, spec] of _specs(cmd.options)) {
        const { positional, ...rest } = spec
        b = positional ? b.positional(_flag(name), rest) : b.option(_flag(name), rest)
      }
      return b
    },
    handler: (argv) => cmd.handler(_args(cmd.options, argv)),
  }
}

/** A command whose handler module is imported only when the command runs. */
export function lazyCommand<A>(
  spec: Omit<CliCommand<A>, 'handler'>,
  load: () => Promise<CliCommand<A>['handler']>,
): CommandModule {
  return toYargs<A>({ ...spec, handler: async (args) => (await load())(args) })
}

/** A group of commands under one name (`kith guardian <command>`). */
export function commandGroup(
  command: string,
  describe: string,
  commands: readonly CommandModule[],
): CommandModule {
  return {
    command,
    describe,
    builder: (y: Argv) => {
      let b = y
      for (const c of commands) b = b.command(c)
      return b.demandCommand(1)
    },
    // yargs runs a subcommand's handler; the group itself has nothing to do
    handler: () => undefined,
  }
}
