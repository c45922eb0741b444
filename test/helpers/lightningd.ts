/**
 * A lightningd emulator for the kith-cln plugin: it speaks CLN's plugin protocol over the plugin's stdio
 * (getmanifest, a db_write that may come before init, init, then db_write hooks), keeps its own real
 * SQLite database with a CLN-like schema (`vars` holding `data_version`), and applies each transaction
 * only after the plugin answered `continue`, as lightningd commits only then. It can be killed between
 * the answer and the commit, and restarted on the same database.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import Database from 'better-sqlite3'

interface Reply {
  readonly id: number
  readonly result?: { result?: string } & Record<string, unknown>
  readonly error?: { message: string }
}

/** Create a CLN-like database at `path` with `dataVersion` transactions already committed. */
export function createClnDb(path: string, dataVersion = 5): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec(`
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

export class Lightningd {
  private proc: ChildProcess | undefined
  private buffer = ''
  private nextId = 1
  private readonly waiting = new Map<number, (r: Reply) => void>()
  /** Everything the plugin wrote on stdout that was not an answer (its log notifications). */
  readonly notifications: { method: string; params: { level?: string; message?: string } }[] = []
  stderr = ''
  private readonly db: Database.Database

  constructor(
    readonly plugin: string,
    readonly dbPath: string,
  ) {
    this.db = new Database(dbPath)
  }

  get dataVersion(): number {
    return (
      this.db.prepare("SELECT intval FROM vars WHERE name = 'data_version'").get() as { intval: number }
    ).intval
  }

  /** Start the plugin; with `hookFirst`, one transaction is sent before `init` (as lightningd may). */
  async start(): Promise<void> {
    const proc = spawn(this.plugin, [], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.proc = proc
    proc.stdout!.setEncoding('utf8')
    proc.stdout!.on('data', (d: string) => this._data(d))
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
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
    this.proc!.stdin!.write(
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

  call(method: string, params: unknown): Promise<Reply> {
    const id = this.nextId++
    const answer = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to ${method} in time; stderr: ${this.stderr}`)),
        90_000,
      )
      const proc = this.proc!
      const died = (code: number | null) => {
        clearTimeout(timer)
        reject(new Error(`plugin exited (${code}) before answering ${method}: ${this.stderr}`))
      }
      this.waiting.set(id, (r) => {
        clearTimeout(timer)
        proc.off('exit', died)
        resolve(r)
      })
      proc.once('exit', died)
    })
    this.proc!.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n\n`)
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

  /** Kill the plugin (lightningd dies too, as far as the test is concerned). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill(signal)
    await exited
  }

  /** lightningd shuts down cleanly: stdin closes and the plugin exits by itself. */
  async stop(): Promise<void> {
    const proc = this.proc
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.stdin!.end()
    await exited
  }

  close(): void {
    this.db.close()
  }
}
