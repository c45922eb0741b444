/**
 * What lightningd's own configuration says about its database (ElementsProject/lightning
 * `doc/lightningd-config.5.md`): the general file `<lightning-dir>/config`, then the network's
 * `<lightning-dir>/<network>/config`, later lines winning; `wallet=<DSN>` names the database, `sqlite3://…`
 * (the default) or `postgres://…`. kith-cln needs SQLite: with PostgreSQL the `db_write` hook's `writes`
 * are always empty (`doc/schemas/hook/db_write.json`), and nothing could be replicated.
 */
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { KithError } from '../errors.js'

export class ClnPostgresError extends KithError {
  readonly code = 'CLN_POSTGRES_UNSUPPORTED'
  constructor(readonly file: string) {
    super(
      `${file} sets wallet=postgres://…: kith-cln replicates a SQLite database only (with PostgreSQL, lightningd's db_write hook carries no writes); back PostgreSQL up with its own replication`,
      { file },
    )
  }
}

/** The config files lightningd reads for the database at `db` (…/<network>/lightningd.sqlite3). */
export function lightningdConfigFiles(db: string): string[] {
  const networkDir = dirname(db)
  return [join(dirname(networkDir), 'config'), join(networkDir, 'config')]
}

/** The `wallet=` a config file's text sets last, if any (comments and blank lines skipped). */
export function walletSetting(text: string): string | undefined {
  let wallet: string | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#')) continue
    const m = /^wallet\s*=\s*(.+)$/.exec(line)
    if (m) wallet = m[1]!.trim()
  }
  return wallet
}

/** Refuse a node whose lightningd config puts its wallet in PostgreSQL (the files that are there). */
export async function refusePostgresWallet(db: string): Promise<void> {
  let last: { file: string; wallet: string } | undefined
  for (const file of lightningdConfigFiles(db)) {
    const text = await readFile(file, 'utf8').catch(() => undefined)
    const wallet = text === undefined ? undefined : walletSetting(text)
    if (wallet !== undefined) last = { file, wallet }
  }
  if (last !== undefined && /^postgres(ql)?:\/\//i.test(last.wallet)) throw new ClnPostgresError(last.file)
}

/** The line lightningd's config needs for the plugin at `plugin`, and the file it goes in. */
export function pluginConfigLine(db: string, plugin: string): { file: string; line: string } {
  return { file: lightningdConfigFiles(db)[0]!, line: `important-plugin=${plugin}` }
}

/** Whether `dir` is lightningd's auto-loaded plugins folder (`<lightning-dir>/plugins`) for `db`. */
export function isAutoloadedPluginDir(db: string, dir: string): boolean {
  return basename(dir) === 'plugins' && dirname(dir) === dirname(dirname(db))
}
