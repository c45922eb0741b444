/**
 * A lightningd emulator for the kith-cln plugin: it speaks CLN's plugin protocol over the plugin's stdio
 * (getmanifest, a db_write that may come before init, init, then db_write hooks), keeps its own real
 * SQLite database with a CLN-like schema (`vars` holding `data_version`), and applies each transaction
 * only after the plugin answered `continue`, as lightningd commits only then. It can die between the
 * answer and the commit, and restart on the same database.
 *
 * The plugin runs either as lightningd runs it, the installed executable spawned with its stdio piped
 * (`Lightningd.spawned`, for the stories that kill it), or in this process on in-memory pipes
 * (`Lightningd.inProcess`: the same `runPlugin` on the same files, for the scenarios). lightningd dying
 * is the same to both: the plugin's standard input ends.
 */
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { pluginPaths } from '../../src/cln/config.js'
import { runPlugin } from '../../src/cln/run.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { kithJson } from './cli.js'
import { spawnTracked } from './procs.js'

interface Reply {
  readonly id: number
  readonly result?: { result?: string } & Record<string, unknown>
  readonly error?: { message: string }
}

/**
 * `kith cln install-plugin` for the vault in `dir` following `db`, its executable in `work/plugins`, with a
 * 10 s hold (a plugin just started on a busy machine may take seconds to reach its guardians) unless
 * `extra` says otherwise; its JSON answer. The plugin runs this clone's dist/ (`--from-clone`): the tests
 * run kith from the clone, which is not an installed copy (test/e2e/cln-installed.test.ts installs one).
 */
export function installPlugin(work: string, dir: string, db: string, ...extra: string[]) {
  const args = ['--db', db, '--plugin-dir', join(work, 'plugins'), '--data-dir', dir, '--from-clone']
  return kithJson(
    'cln',
    'install-plugin',
    ...args,
    ...(extra.includes('--hold') ? [] : ['--hold', '10s']),
    ...extra,
  )
}

/** Create a CLN-like database at `path` with `dataVersion` transactions already committed. */
export function createClnDb(path: string, dataVersion = 5): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec(`
    CREATE TABLE version (version INTEGER);
    INSERT INTO version VALUES (286);
    CREATE TABLE vars (name TEXT PRIMARY KEY, val TEXT, intval INTEGER, blobval BLOB);
    CREATE TABLE channels (id INTEGER PRIMARY KEY, peer BLOB, state INTEGER, our_msat INTEGER, their_msat INTEGER, commit_num INTEGER);
    CREATE TABLE payments (id INTEGER PRIMARY KEY, channel INTEGER, payment_hash BLOB, msat INTEGER, status INTEGER);
  `)
  db.prepare("INSERT INTO vars (name, intval) VALUES ('data_version', ?)").run(dataVersion)
  db.prepare("INSERT INTO channels VALUES (1, x'02aa', 2, 500000000, 500000000, 0)").run()
  db.prepare("INSERT INTO channels VALUES (2, x'03bb', 2, 100000000, 900000000, 0)").run()
  db.close()
}

/** Every row of every table, as text: what "equal databases" means in these tests. */
export function dumpDb(path: string): string {
  const db = new Database(path, { readonly: true })
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string
      }[]
    ).map((t) => t.name)
    return tables
      .map(
        (t) =>
          `${t}: ${JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).raw().all(), (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))}`,
      )
      .join('\n')
  } finally {
    db.close()
  }
}

export function dataVersionOf(path: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return (db.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get() as { intval: number })
      .intval
  } finally {
    db.close()
  }
}

/**
 * The statements of one payment on channel 1, as CLN's db_write would list them (values expanded); with
 * `pad`, a larger transaction (the other channel's peer blob rewritten with that many bytes).
 */
export function paymentWrites(n: number, dataVersion: number, pad = 0): string[] {
  return [
    ...(pad > 0
      ? [`UPDATE channels SET peer = x'${Buffer.alloc(pad, n % 251).toString('hex')}' WHERE id = 2;`]
      : []),
    `INSERT INTO payments (id, channel, payment_hash, msat, status) VALUES (${n}, 1, x'${n.toString(16).padStart(64, '0')}', ${1000 * n}, 2);`,
    `UPDATE channels SET our_msat = our_msat - ${1000 * n}, their_msat = their_msat + ${1000 * n}, commit_num = commit_num + 1 WHERE id = 1;`,
    `UPDATE vars SET intval = ${dataVersion} WHERE name = 'data_version';`,
  ]
}

/** The plugin as lightningd sees it: its standard input, what it writes, and how it ends. */
interface PluginPipe {
  write(line: string): void
  onData(read: (text: string) => void): void
  /** Resolves with its exit status once it has ended. */
  readonly exited: Promise<number | null>
  /** Its standard input ends (lightningd exited): it finishes what it holds and exits by itself. */
  endInput(): void
  /** Killed at once (SIGKILL), in the middle of whatever it does: only a spawned plugin can be. */
  kill(): void
  readonly stderr: () => string
}

function _spawned(executable: string): PluginPipe {
  const proc = spawnTracked(executable, [], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  proc.stdout!.setEncoding('utf8')
  return {
    write: (line) => proc.stdin!.write(line),
    onData: (read) => proc.stdout!.on('data', read),
    exited: new Promise((r) => proc.once('exit', (code) => r(code))),
    endInput: () => proc.stdin!.end(),
    kill: () => proc.kill('SIGKILL'),
    stderr: () => stderr,
  }
}

function _inProcess(configPath: string): PluginPipe {
  const input = new PassThrough()
  const output = new PassThrough()
  output.setEncoding('utf8')
  let failure = ''
  const exited = runPlugin(configPath, input, output).then(
    () => 0,
    (err: unknown) => {
      failure = String(err)
      return 1
    },
  )
  return {
    write: (line) => input.write(line),
    onData: (read) => output.on('data', read),
    exited,
    endInput: () => input.end(),
    kill: () => {
      throw new Error('a plugin in this process cannot be killed mid-hook: use Lightningd.spawned')
    },
    stderr: () => failure,
  }
}

export class Lightningd {
  private pipe: PluginPipe | undefined
  private buffer = ''
  private nextId = 1
  private readonly waiting = new Map<number, (r: Reply) => void>()
  /** Everything the plugin wrote on stdout that was not an answer (its log notifications). */
  readonly notifications: { method: string; params: { level?: string; message?: string } }[] = []
  private readonly db: Database

  private constructor(
    private readonly start_: () => PluginPipe,
    readonly dbPath: string,
  ) {
    this.db = new Database(dbPath)
  }

  /** lightningd running the installed plugin executable, as it would. */
  static spawned(executable: string, dbPath: string): Lightningd {
    return new Lightningd(() => _spawned(executable), dbPath)
  }

  /** lightningd running the plugin of the vault in `vaultDir` in this process (its installed files). */
  static inProcess(vaultDir: string, dbPath: string): Lightningd {
    return new Lightningd(() => _inProcess(pluginPaths(vaultDir).config), dbPath)
  }

  get stderr(): string {
    return this.pipe?.stderr() ?? ''
  }

  get dataVersion(): number {
    return (
      this.db.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get() as { intval: number }
    ).intval
  }

  /** Start the plugin; with `hookFirst`, one transaction is sent before `init` (as lightningd may). */
  async start(): Promise<void> {
    this.buffer = ''
    const pipe = this.start_()
    this.pipe = pipe
    pipe.onData((d) => this._data(d))
    const manifest = await this.call('getmanifest', { 'allow-deprecated-apis': false })
    if (!JSON.stringify(manifest.result).includes('db_write'))
      throw new Error('the plugin did not register db_write')
  }

  async init(): Promise<void> {
    await this.call('init', {
      options: {},
      configuration: { 'lightning-dir': '/tmp', 'rpc-file': 'lightning-rpc' },
    })
  }

  /** Send a db_write; apply it only if the plugin answers continue (and `commit` is not false). */
  async transaction(writes: string[], dataVersion: number, commit = true): Promise<'continue' | string> {
    const r = await this.call('db_write', { data_version: dataVersion, writes })
    if (r.result?.result !== 'continue') return r.error?.message ?? JSON.stringify(r)
    if (commit)
      this.db.transaction(() => {
        for (const w of writes) this.db.exec(w)
      })()
    return 'continue'
  }

  /** One payment as the next transaction. */
  pay(n: number, commit = true, pad = 0): Promise<'continue' | string> {
    const dv = this.dataVersion + 1
    return this.transaction(paymentWrites(n, dv, pad), dv, commit)
  }

  /** Send the next payment's hook and kill the plugin before its answer can be used (a crash mid-hook). */
  async payAndDie(n: number): Promise<void> {
    const dv = this.dataVersion + 1
    const id = this.nextId++
    this.pipe!.write(
      `${JSON.stringify({ jsonrpc: '2.0', id, method: 'db_write', params: { data_version: dv, writes: paymentWrites(n, dv) } })}\n\n`,
    )
    await this.kill()
  }

  /** A transaction lightningd commits without the plugin (it was not loaded): lost writes. */
  commitUnreplicated(n: number): void {
    const dv = this.dataVersion + 1
    this.db.transaction(() => {
      for (const w of paymentWrites(n, dv)) this.db.exec(w)
    })()
  }

  /** One request; its answer, or a failure if the plugin ends first (a test's own timeout bounds it). */
  call(method: string, params: unknown): Promise<Reply> {
    const id = this.nextId++
    const pipe = this.pipe!
    const answer = new Promise<Reply>((resolve, reject) => {
      let answered = false
      this.waiting.set(id, (r) => {
        answered = true
        resolve(r)
      })
      void pipe.exited.then((code) => {
        if (!answered)
          reject(new Error(`plugin exited (${code}) before answering ${method}: ${pipe.stderr()}`))
      })
    })
    pipe.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n\n`)
    return answer
  }

  private _data(d: string): void {
    this.buffer += d
    const parts = this.buffer.split('\n\n')
    this.buffer = parts.pop()!
    for (const p of parts) {
      if (p.trim() === '') continue
      const m = JSON.parse(p) as Reply & { method?: string; params?: { level?: string; message?: string } }
      if (m.method !== undefined) this.notifications.push({ method: m.method, params: m.params ?? {} })
      else this.waiting.get(m.id)?.(m)
    }
  }

  /** Kill the plugin at once (SIGKILL: lightningd dies too, as far as the test is concerned). */
  async kill(): Promise<void> {
    const pipe = this.pipe
    if (pipe === undefined) return
    pipe.kill()
    await pipe.exited
    this.pipe = undefined
  }

  /** lightningd exits (cleanly or not, before committing anything more): the plugin's stdin ends. */
  async stop(): Promise<void> {
    const pipe = this.pipe
    if (pipe === undefined) return
    pipe.endInput()
    await pipe.exited
    this.pipe = undefined
  }

  close(): void {
    this.db.close()
  }
}
