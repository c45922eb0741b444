/**
 * A live database's writer, opened from its own files: the vault's libp2p identity (so guardians take it
 * as the coordinator), the journal's writer log, the writer to every member guardian, and the replication
 * policy (plugin.ts: append, hold, alert, refuse; a proven takeover stops it at once). kith-cln (run.ts)
 * and the signer store (`kith lss serve`) each open one for their journal. It never holds the vault key,
 * a data key or a passphrase: snapshots are asked of the process that holds them.
 */
import { existsSync } from 'node:fs'
import { sendAlert } from '../coordinator/alerts.js'
import { FencedError } from '../coordinator/errors.js'
import { type FenceAsker, proveFence } from '../coordinator/fence.js'
import { knownFence, recordFence } from '../coordinator/fence-record.js'
import { journalLogPath, vaultPaths } from '../coordinator/paths.js'
import { snapshotRequestPath, writeSnapshotRequest } from '../coordinator/snapshot-request.js'
import { CoordinatorStore } from '../coordinator/store.js'
import { ed25519Signer } from '../crypto/ed25519.js'
import { encodeText } from '../crypto/text.js'
import { openWriterCertificate } from '../journal/entry.js'
import { LocalLog } from '../journal/local-log.js'
import { type Log, moduleLog } from '../log.js'
import { JournalWriter } from '../p2p/journal-writer.js'
import { createKithNode, type KithNode } from '../p2p/node.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import type { JournalMark } from '../replica/manifest.js'
import { openManifest } from '../replica/manifest.js'
import type { WriterSecrets } from './config.js'
import { ClnPlugin } from './plugin.js'

export interface LiveWriterOptions {
  readonly vaultDir: string
  readonly journal: string
  readonly secrets: WriterSecrets
  readonly holdMs: number
  readonly alertWebhook?: string
  readonly alertCommand?: string
  /** What is replicated, as alerts name it ("CLN replication"). */
  readonly what: string
  readonly say: (level: 'info' | 'unusual' | 'broken', line: string) => void
  readonly log: Log
  /** Each alert target's delivery, for metrics. */
  readonly onAlert?: (target: string, ok: boolean) => void
}

export interface LiveWriter {
  readonly plugin: ClnPlugin
  readonly writer: JournalWriter
  readonly journalLog: LocalLog
  readonly store: CoordinatorStore
  /** Follow the vault's current members (a roster change since the last entry). */
  readonly followRoster: () => void
  close(): Promise<void>
}

/** The newest committed version's mark for `journal`, read from the vault's database (no key needed). */
function _committedMark(store: CoordinatorStore, journal: string): JournalMark | undefined {
  const newest = store.newestCommitted()
  return newest && openManifest(newest.manifest).marks?.find((m) => m.journal === journal)
}

export async function openLiveWriter(o: LiveWriterOptions): Promise<LiveWriter> {
  const { secrets, log } = o
  const cert = openWriterCertificate(secrets.certificate)
  const store = CoordinatorStore.open(vaultPaths(o.vaultDir).db)
  const journalLog = LocalLog.open(journalLogPath(o.vaultDir, o.journal))
  const node: KithNode = await createKithNode({
    privateKey: await loadOrCreatePeerKey(vaultPaths(o.vaultDir).peerKey),
  })
  const writer = new JournalWriter(node, cert.bytes, journalLog, moduleLog(log, 'p2p'))
  const followRoster = () =>
    writer.setTargets(
      store
        .guardians()
        .filter((g) => g.member)
        .map((g) => ({ label: g.label, peerId: g.peerId, addrs: g.addrs })),
    )
  followRoster()
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
    journal: o.journal,
    journalKey: secrets.journalKey,
    sign: ed25519Signer(secrets.writerSeed),
    log: journalLog,
    quorum: () => store.settings().w,
    append: (position, bytes, quorum, signal) => {
      followRoster() // a roster change since the last entry is followed at the next one
      return writer.append(position, bytes, quorum, signal)
    },
    committedMark: () => _committedMark(store, o.journal),
    requestSnapshot: (position) =>
      writeSnapshotRequest(o.vaultDir, {
        journal: o.journal,
        position,
        at: Date.now(),
        pid: process.pid,
      }),
    requestPending: () => existsSync(snapshotRequestPath(o.vaultDir, o.journal)),
    holdMs: o.holdMs,
    say: o.say,
    alert: async (reason) => {
      const targetsOf = {
        ...(o.alertWebhook ? { webhook: o.alertWebhook } : {}),
        ...(o.alertCommand ? { command: o.alertCommand } : {}),
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
        reasons: [`${o.what}: ${reason}`],
      })
      // each target counted and logged by itself; a failure's line never holds the URL or command
      for (const target of Object.keys(targetsOf)) {
        const line = failed.find((f) => f.startsWith(`${target}:`))
        o.onAlert?.(target, line === undefined)
        if (line === undefined) log.info({ event: 'alert-sent', target })
        else log.warn({ event: 'alert-failed', target, reason: line.slice(target.length + 2) })
      }
      return failed
    },
  })
  return {
    plugin,
    writer,
    journalLog,
    store,
    followRoster,
    close: async () => {
      writer.close()
      await node.stop()
      journalLog.close()
      store.close()
    },
  }
}
