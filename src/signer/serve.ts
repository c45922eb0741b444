/**
 * `kith lss serve` as a process: the signer store behind LSS (gRPC) and, when asked, VSS (HTTP), every
 * write replicated as one entry of the store's journal to W guardians before it is applied and answered
 * (lss/core.ts over cln/live.ts, the policy kith-cln follows: hold, alert, refuse). Before it listens, an
 * entry the writer's log holds beyond the store (a crash between replicating a batch and applying it) is
 * applied: the log never lags the guardians, and the store never lags the log.
 */
import '../polyfill.js'
import { openLiveWriter } from '../cln/live.js'
import { entryPlaintext, openEntry, openWriterCertificate } from '../journal/entry.js'
import type { LocalLog } from '../journal/local-log.js'
import type { Log } from '../log.js'
import { SignerCore } from '../lss/core.js'
import { type GrpcServer, serveGrpc } from '../lss/grpc.js'
import { LSS_SERVICE } from '../lss/messages.js'
import { lssService } from '../lss/service.js'
import { SignerStore } from '../lss/store.js'
import { serveVss } from '../lss/vss-service.js'
import { SIGNER_JOURNAL } from './files.js'
import type { SignerSetup } from './setup.js'

export interface ServeOptions {
  readonly vaultDir: string
  readonly setup: SignerSetup
  /** LSS's address (undefined: LSS off). */
  readonly lss?: { readonly host: string; readonly port: number }
  /** VSS's address (undefined: VSS off). */
  readonly vss?: { readonly host: string; readonly port: number }
  readonly holdMs: number
  readonly alertWebhook?: string
  readonly alertCommand?: string
  readonly say: (level: 'info' | 'unusual' | 'broken', line: string) => void
  readonly log: Log
}

export interface SignerServer {
  readonly lssPort?: number
  readonly vssPort?: number
  close(): Promise<void>
}

/** Apply what the writer's log holds beyond the store; how many batches that was. */
export function rollForward(store: SignerStore, log: LocalLog, secrets: SignerSetup['secrets']): number {
  const cert = openWriterCertificate(secrets.certificate)
  let applied = 0
  for (const { position, bytes } of log.entriesFrom(store.dataVersion() + 1)) {
    if (position !== store.dataVersion() + 1) break
    const entry = openEntry(bytes, cert.writerKey)
    const statements = JSON.parse(
      new TextDecoder().decode(entryPlaintext(entry, secrets.journalKey)),
    ) as string[]
    store.apply({ position, statements })
    applied++
  }
  return applied
}

export async function serveSigner(o: ServeOptions): Promise<SignerServer> {
  const live = await openLiveWriter({
    vaultDir: o.vaultDir,
    journal: SIGNER_JOURNAL,
    secrets: o.setup.secrets,
    holdMs: o.holdMs,
    ...(o.alertWebhook ? { alertWebhook: o.alertWebhook } : {}),
    ...(o.alertCommand ? { alertCommand: o.alertCommand } : {}),
    what: 'signer store',
    say: o.say,
    log: o.log,
  })
  const store = SignerStore.open(o.setup.store)
  let grpc: GrpcServer | undefined
  let vss: { port: number; close(): Promise<void> } | undefined
  try {
    const rolled = rollForward(store, live.journalLog, o.setup.secrets)
    if (rolled > 0) o.say('info', `applied ${rolled} replicated write(s) the store did not have yet`)
    const core = new SignerCore(store, (batch) => live.plugin.dbWrite(batch.position, [...batch.statements]))
    const onError = (err: unknown) => o.log.error({ event: 'signer-error', error: String(err) })
    if (o.lss !== undefined)
      grpc = await serveGrpc(
        LSS_SERVICE,
        lssService({ serverSecretKey: o.setup.serverSecretKey, core }),
        o.lss,
        onError,
      )
    if (o.vss !== undefined) vss = await serveVss(core, o.vss, { onError })
  } catch (err) {
    await grpc?.close()
    store.close()
    await live.close()
    throw err
  }
  return {
    ...(grpc !== undefined ? { lssPort: grpc.port } : {}),
    ...(vss !== undefined ? { vssPort: vss.port } : {}),
    close: async () => {
      await grpc?.close()
      await vss?.close()
      store.close()
      await live.close()
    },
  }
}
