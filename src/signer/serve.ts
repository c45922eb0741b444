/**
 * `kith lss serve` as a process: the signer store behind LSS (gRPC) and, when asked, VSS (HTTP), every
 * write replicated as one entry of the store's journal to W guardians before it is applied and answered
 * (lss/core.ts over cln/live.ts, the policy kith-cln follows: hold, alert, refuse). One process per vault
 * serves it (a lock). At start the store must stand where the writer's log does: at its newest entry, or
 * one before it when the process stopped between sending a write and applying it. That write was never
 * answered; as lightningd's uncommitted transaction, the next write replaces it (a rewind).
 */
import { openLiveWriter } from '../cln/live.js'
import { KithError } from '../errors.js'
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

/** The store is not where its journal's writer stands: another file, or an old copy put back. */
export class SignerStoreMismatchError extends KithError {
  readonly code = 'SIGNER_STORE_MISMATCH'
  constructor(
    readonly store: number,
    readonly journal: { readonly from: number; readonly to: number },
  ) {
    super(
      `the signer store stands at write ${store}, its journal from ${journal.from} to ${journal.to}: it is not the store this vault follows (an old copy?). Serve the right file, or recover it from your guardians`,
      { store, ...journal },
    )
  }
}

/**
 * Where the store stands against the writer's log: in step, or one write behind (sent, never applied or
 * answered: the next write replaces it). Anything else is refused.
 */
export function checkStoreAgainstLog(store: SignerStore, log: LocalLog): 'in-step' | 'one-behind' {
  const base = log.base()
  const tip = log.tip()
  const at = store.dataVersion()
  if (base === undefined || tip === undefined) throw new SignerStoreMismatchError(at, { from: -1, to: -1 })
  if (at === tip.position) return 'in-step'
  if (at === tip.position - 1 && at >= base.position) return 'one-behind'
  throw new SignerStoreMismatchError(at, { from: base.position, to: tip.position })
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
  let store: SignerStore | undefined
  let grpc: GrpcServer | undefined
  let vss: { port: number; close(): Promise<void> } | undefined
  let core: SignerCore | undefined
  const close = async () => {
    await grpc?.close()
    await vss?.close()
    await core?.idle()
    store?.close()
    await live.close()
  }
  try {
    store = SignerStore.open(o.setup.store)
    if (checkStoreAgainstLog(store, live.journalLog) === 'one-behind')
      o.say(
        'unusual',
        `write ${store.dataVersion() + 1} was sent to the guardians but never applied or answered here (the server stopped): the next write replaces it`,
      )
    const s = store
    core = new SignerCore(s, (batch) => live.plugin.dbWrite(batch.position, [...batch.statements]))
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
    await close()
    throw err
  }
  return {
    ...(grpc !== undefined ? { lssPort: grpc.port } : {}),
    ...(vss !== undefined ? { vssPort: vss.port } : {}),
    close,
  }
}
