/**
 * kith-cln as a process: read lightningd's JSON-RPC from stdin, answer on stdout, replicate each
 * `db_write` (plugin.ts). Everything it needs comes from its own files (config.ts); `getmanifest` is
 * answered at once, while the network starts; hooks are taken one at a time, in order. It must never
 * read a passphrase, the vault key file or a data key: snapshots are asked of the process that holds them.
 */
import '../polyfill.js'
import { existsSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { sendAlert } from '../coordinator/alerts.js'
import { FencedError } from '../coordinator/errors.js'
import { type FenceAsker, proveFence } from '../coordinator/fence.js'
import { knownFence, recordFence } from '../coordinator/fence-record.js'
import { journalLogPath, vaultPaths } from '../coordinator/paths.js'
import { snapshotRequestPath, writeSnapshotRequest } from '../coordinator/snapshot-request.js'
import { CoordinatorStore } from '../coordinator/store.js'
import { ed25519Signer } from '../crypto/ed25519.js'
import { encodeText } from '../crypto/text.js'
import { KithError, thrownText } from '../errors.js'
import { openWriterCertificate } from '../journal/entry.js'
import { LocalLog } from '../journal/local-log.js'
import { closeLog, createLog, errorFields, type Log, moduleLog } from '../log.js'
import { JournalWriter } from '../p2p/journal-writer.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import type { JournalMark } from '../replica/manifest.js'
import { openManifest } from '../replica/manifest.js'
import { pluginPaths, readPluginConfigFile, readWriterSecrets } from './config.js'
import { ClnPlugin, Refusal } from './plugin.js'
import { JsonObjectSplitter, logNotification, MANIFEST, type RpcMessage, result, rpcError } from './rpc.js'
import { HookStats } from './stats.js'

/** The newest committed version's mark for `journal`, read from the vault's database (no key needed). */
function _committedMark(store: CoordinatorStore, journal: string): JournalMark | undefined {
  const newest = store.newestCommitted()
  return newest && openManifest(newest.manifest).marks?.find((m) => m.journal === journal)
}

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
  const ready = (async () => {
    const secrets = await readWriterSecrets(config.vaultDir)
    const cert = openWriterCertificate(secrets.certificate)
    const store = CoordinatorStore.open(vaultPaths(config.vaultDir).db)
    const journalLog = LocalLog.open(journalLogPath(config.vaultDir, config.stream))
    const node: KithNode = await createKithNode({
      privateKey: await loadOrCreatePeerKey(vaultPaths(config.vaultDir).peerKey),
    })
    const writer = new JournalWriter(node, cert.bytes, journalLog, moduleLog(log, 'p2p'))
    const targets = () =>
      writer.setTargets(
        store
          .guardians()
          .filter((g) => g.member)
          .map((g) => ({ label: g.label, peerId: g.peerId, addrs: g.addrs })),
      )
    targets()
    const asker: FenceAsker = {
      network: async () => node,
      vaultId: cert.vaultId,
      db: store,
      log,
      p2pLog: moduleLog(log, 'p2p'),
    }
    const plugin = new ClnPlugin({
      fenced: () => {
        const f = knownFence(store)
        return f === undefined ? undefined : new FencedError(f.guardian, f.epoch).message
      },
      proveFence: async (refusals) => {
        for (const r of refusals) {
          const fence = await proveFence(asker, r.target)
          if (fence === undefined) continue
          recordFence(store, fence, Date.now())
          log.error({ event: 'fenced', guardian: fence.guardian, epoch: fence.epoch })
          return new FencedError(fence.guardian, fence.epoch).message
        }
        return undefined
      },
      vaultId: cert.vaultId,
      journal: config.stream,
      journalKey: secrets.journalKey,
      sign: ed25519Signer(secrets.writerSeed),
      log: journalLog,
      quorum: () => store.settings().w,
      append: (position, bytes, quorum, signal) => {
        targets() // a roster change since the last entry is followed at the next one
        return writer.append(position, bytes, quorum, signal)
      },
      committedMark: () => _committedMark(store, config.stream),
      requestSnapshot: (position) =>
        writeSnapshotRequest(config.vaultDir, {
          journal: config.stream,
          position,
          at: Date.now(),
          pid: process.pid,
        }),
      requestPending: () => existsSync(snapshotRequestPath(config.vaultDir, config.stream)),
      holdMs: config.holdMs,
      say,
      alert: async (reason) => {
        const targetsOf = {
          ...(config.alertWebhook ? { webhook: config.alertWebhook } : {}),
          ...(config.alertCommand ? { command: config.alertCommand } : {}),
        }
        if (!targetsOf.webhook && !targetsOf.command) return []
        const s = store.settings()
        const failed = await sendAlert(targetsOf, {
          kind: 'health',
          vault: encodeText('vault', s.vaultId),
          name: s.name,
          at: new Date().toISOString(),
          verdict: 'at-risk',
          committedVersion: store.newestCommitted()?.version ?? 0,
          reasons: [`CLN replication: ${reason}`],
        })
        // each target counted and logged by itself; a failure's line never holds the URL or command
        for (const target of Object.keys(targetsOf)) {
          const line = failed.find((f) => f.startsWith(`${target}:`))
          stats.alert(target, line === undefined)
          if (line === undefined) log.info({ event: 'alert-sent', target })
          else log.warn({ event: 'alert-failed', target, reason: line.slice(target.length + 2) })
        }
        return failed
      },
    })
    return {
      plugin,
      close: async () => {
        writer.close()
        await node.stop()
        journalLog.close()
        store.close()
      },
    }
  })()
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
