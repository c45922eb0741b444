/**
 * The kith command line as a function: parse, run one command, and turn any failure into one human
 * line on stderr and an exit status. The `kith` binary (main.ts) calls it; tests may too. Nothing below
 * the CLI prints.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { LOG_LEVELS } from '../log-levels.js'
import { releaseName, releaseVersion } from '../release/self.js'
import { checkDurations } from '../time/durations.js'
import { clnCommand } from './cmds/cln/index.js'
import { guardianCommand } from './cmds/guardian/index.js'
import { lssCommand } from './cmds/lss/index.js'
import { recoverCommand } from './cmds/recover/index.js'
import { vaultCommand } from './cmds/vault/index.js'
import { cliDefaults } from './defaults.js'
import { CommandUsageError, describeFailure, UsageError } from './errors.js'
import { checkFolderOption, checkOutputFileOption } from './paths.js'
import { usageFailure } from './suggest.js'

/** What `kith --version` prints: a release says its name too (`0.1.0 (kith-0.1.0-linux-x64)`). */
function _versionLine(): string {
  const name = releaseName()
  return name === undefined ? _packageVersion() : `${releaseVersion()} (${name})`
}

/** The version in kith's package.json, found upward from this module (a release has no such file). */
function _packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'kith' && pkg.version) return pkg.version
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  return 'unknown'
}

/** `--passphrase-file -` as `--passphrase-file=-`: yargs would take a lone '-' for a positional. */
function _joinDash(argv: readonly string[]): string[] {
  const out: string[] = []
  for (const a of argv) {
    const last = out.at(-1)
    if (a === '-' && last !== undefined && /^--[a-z][a-z-]*$/.test(last)) out[out.length - 1] = `${last}=-`
    else out.push(a)
  }
  return out
}

/**
 * Defaults from the config file and `KITH_*` (cli/defaults.ts) for what the command line did not say:
 * the data directory of the command's group, and the passphrase file.
 */
function _applyDefaults(argv: readonly string[], args: Record<string, unknown>): void {
  const given = (flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`))
  const positionals: unknown = args['_']
  const group = Array.isArray(positionals) ? String(positionals[0] ?? '') : ''
  const d = cliDefaults()
  const set = (camel: string, kebab: string, value: string) => {
    args[camel] = value
    args[kebab] = value
  }
  if (!given('--data-dir')) {
    if (group === 'guardian') set('dataDir', 'data-dir', d.guardianDir)
    else if (group === 'vault' || group === 'cln' || group === 'lss' || group === 'recover')
      set('dataDir', 'data-dir', d.vaultDir)
  }
  if (!given('--passphrase-file') && d.passphraseFile !== undefined && group !== 'guardian')
    set('passphraseFile', 'passphrase-file', d.passphraseFile)
}

/** Run one kith command line (without the program name); resolves to its exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  // `kith --version` is answered here: yargs reserves the word, and `kith recover --version N` needs it
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    console.log(_versionLine())
    return 0
  }
  // `kith` alone shows what it can do
  if (argv.length === 0) return runCli(['--help'])
  try {
    // a typo in KITH_DURATIONS stops every command before it starts; one in force is said, every time
    checkDurations()
    const durations = process.env['KITH_DURATIONS']?.trim()
    if (durations)
      console.error(
        `kith: KITH_DURATIONS is in force (${durations}): not kith's own waits; for tests and diagnosis only`,
      )
    await yargs(_joinDash(argv))
      .scriptName('kith')
      .usage(
        'kith: keep your Lightning node backups safe with friends\n\nUsage: $0 <command> [options]   ($0 --version prints the version)',
      )
      .command(guardianCommand)
      .command(vaultCommand)
      .command(recoverCommand)
      .command(clnCommand)
      .command(lssCommand)
      .option('log-level', {
        choices: LOG_LEVELS,
        default: 'info',
        describe: 'structured log level (daemons, backup and recover write JSON logs to --log-file)',
      })
      .option('log-file', {
        type: 'string',
        describe: 'structured JSON log file (default: kith.log in the data dir; recover: none)',
      })
      .middleware((args) => _applyDefaults(argv, args))
      // the paths every command takes, as given, checked before the command starts (a default that is
      // not this user's to read is the command's own business: recover without --resume never uses it)
      .middleware(async (args) => {
        const dataDir: unknown = args['dataDir']
        const logFile: unknown = args['logFile']
        const given = argv.some((x) => x === '--data-dir' || x.startsWith('--data-dir='))
        if (given && typeof dataDir === 'string') await checkFolderOption('--data-dir', dataDir)
        if (typeof logFile === 'string') await checkOutputFileOption('--log-file', logFile)
      })
      .completion('completion', 'print a shell completion script (bash, zsh): kith completion >> ~/.bashrc')
      .recommendCommands()
      .demandCommand(1, 'name a command; see kith --help')
      .strict()
      .version(false)
      .help()
      .alias('h', 'help')
      .wrap(Math.min(100, process.stdout.columns || 100))
      .exitProcess(false)
      .fail((msg, err, y) => {
        if (err) throw err
        if (/^Did you mean/.test(msg)) throw new UsageError(`unknown command. ${msg}`)
        // the failing command's own help: its usage line, and its options for a suggestion
        let help = ''
        y.showHelp((text: string) => {
          help = text
        })
        throw usageFailure(msg, help, argv)
      })
      .parseAsync()
    return 0
  } catch (err) {
    const { line, exit, code, reported } = describeFailure(err)
    if (line === '') return exit
    // under --json, the failure is a JSON object on stdout too, so a script never parses a human line
    if (argv.includes('--json') && !reported) {
      const message = line.replace(/^kith: /, '').replace(/ \[[A-Z_]+\]$/, '')
      console.log(JSON.stringify({ error: { code, message } }))
    }
    console.error(line)
    if (err instanceof CommandUsageError && !argv.includes('--json'))
      console.error(`usage: ${err.usage}   (add --help for every option)`)
    if (process.env['KITH_DEBUG'] === '1' && err instanceof Error) console.error(err.stack)
    return exit
  }
}
