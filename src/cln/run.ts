/**
 * kith-cln as a process: read lightningd's JSON-RPC from stdin, answer on stdout, replicate each
 * `db_write` (plugin.ts). Everything it needs comes from its own files (config.ts); `getmanifest` is
 * answered at once, while the network starts; hooks are taken one at a time, in order. It must never
 * read a passphrase, the vault key file or a data key: snapshots are asked of the process that holds them.
 */
import type { Readable, Writable } from 'node:stream'
import { KithError, thrownText } from '../errors.js'
import { closeLog, createLog, errorFields, type Log } from '../log.js'
import { pluginPaths, readPluginConfigFile, readWriterSecrets } from './config.js'
import { openLiveWriter } from './live.js'
import { Refusal } from './plugin.js'
import { JsonObjectSplitter, logNotification, MANIFEST, type RpcMessage, result, rpcError } from './rpc.js'
import { HookStats } from './stats.js'

/** Serve lightningd on `input`/`output` until `input` ends. */
export async function runPlugin(configPath: string, input: Readable, output: Writable): Promise<void> {
  const { config, passphraseFileIgnored } = await readPluginConfigFile(configPath)
  const log: Log = createLog('cln', { file: pluginPaths(config.vaultDir).log })
  const write = (s: string) => output.write(s)
  const say = (level: 'info' | 'unusual' | 'broken', line: string) => {
    write(logNotification(level, `kith-cln: ${line}`))
    if (level === 'info') log.info({ event: 'note' }, line)
    else log.warn({ event: 'note' }, line)
  }
  const stats = new HookStats(pluginPaths(config.vaultDir).metrics)
  // an older kith-cln kept a passphrase file's path; this one never reads it
  if (passphraseFileIgnored)
    say(
      'unusual',
      "cln-plugin.json names a passphrase file; kith-cln no longer reads it: delete that file from this disk if nothing else needs it, and run 'kith cln install-plugin --refresh'",
    )
  // the network and the stores start while lightningd asks for the manifest
  const ready = readWriterSecrets(config.vaultDir).then((secrets) =>
    openLiveWriter({
      vaultDir: config.vaultDir,
      journal: config.stream,
      secrets,
      holdMs: config.holdMs,
      ...(config.alertWebhook ? { alertWebhook: config.alertWebhook } : {}),
      ...(config.alertCommand ? { alertCommand: config.alertCommand } : {}),
      what: 'CLN replication',
      say,
      log,
      onAlert: (target, ok) => stats.alert(target, ok),
    }),
  )
  ready.catch((err: unknown) => {
    say(
      'broken',
      `cannot start: ${err instanceof KithError ? `${err.message} [${err.code}]` : thrownText(err)}`,
    )
    log.error({ event: 'cannot-start', ...errorFields(err) })
  })

  stats.start()
  const splitter = new JsonObjectSplitter()
  let queue: Promise<void> = Promise.resolve()
  const handle = async (m: RpcMessage) => {
    if (m.id === undefined) return // a notification (shutdown, …): nothing to answer
    if (m.method === 'getmanifest') return void write(result(m.id, MANIFEST))
    if (m.method === 'init') return void write(result(m.id, {}))
    if (m.method !== 'db_write') return void write(rpcError(m.id, `unknown method ${m.method}`))
    const params = (m.params ?? {}) as { data_version?: unknown; writes?: unknown }
    if (typeof params.data_version !== 'number' || !Array.isArray(params.writes))
      return void write(rpcError(m.id, 'db_write without data_version and writes'))
    const asked = performance.now()
    try {
      const { plugin } = await ready
      await plugin.dbWrite(params.data_version, params.writes.map(String))
      write(result(m.id, { result: 'continue' }))
      stats.hook((performance.now() - asked) / 1000, true, params.data_version)
    } catch (err) {
      stats.hook((performance.now() - asked) / 1000, false, params.data_version)
      const why = err instanceof Refusal ? err.message : `internal error: ${thrownText(err)}`
      log.error({ event: 'refused', reason: why })
      write(rpcError(m.id, `kith-cln refuses: ${why}`))
    }
  }
  input.setEncoding('utf8')
  try {
    for await (const chunk of input) {
      for (const m of splitter.push(String(chunk))) queue = queue.then(() => handle(m as RpcMessage))
    }
  } catch (err) {
    // what lightningd sent could not be read: main.ts says it to lightningd; the plugin's log keeps it too
    log.error({ event: 'stopped', ...errorFields(err) })
    throw err
  }
  await queue
  await stats.stop()
  await (await ready.catch(() => undefined))?.close()
  closeLog(log)
}
