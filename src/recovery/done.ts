/**
 * A recovery that restored the vault closes its request at every guardian (docs/format.md §Recovery
 * done): the friends who did not get to approve are no longer asked to, and their pages say the recovery
 * is done. The message is signed with the restored vault key and the request's recovery key, and sent to
 * each guardian at once; a guardian that cannot be reached keeps the request open until it expires, or
 * until `kith vault status` on the resumed node tells it (coordinator/finished-recovery.ts).
 */
import { type Done, signDone } from '../ceremony/done.js'
import { KithError } from '../errors.js'
import { errorFields } from '../log.js'
import { sendDone } from '../p2p/client.js'
import { duration } from '../time/durations.js'
import type { RecoveryContext } from './context.js'

export interface DoneReport {
  /** The signed message: public (signatures only), kept by a resumed vault to tell the others later. */
  readonly done: Done
  /** Guardians that closed the request, or never held it. */
  readonly told: readonly string[]
  /** Guardians that could not be told now, with why. */
  readonly notTold: readonly { readonly guardian: string; readonly error: string }[]
}

/** Sign the request's end with the restored vault key and tell every guardian this recovery knows. */
export async function closeRequest(ctx: RecoveryContext, vaultSecretKey: Uint8Array): Promise<DoneReport> {
  const done = signDone(
    { vaultId: ctx.opts.vaultId, requestId: ctx.requestId, createdAt: Date.now() },
    { vaultSecretKey, recoverySecretKey: ctx.recoveryKey.secretKey },
  )
  const node = await ctx.node()
  const told: string[] = []
  const notTold: { guardian: string; error: string }[] = []
  await Promise.all(
    [...ctx.targets.values()].map(async (t) => {
      try {
        await sendDone(node, t, done, {
          signal: AbortSignal.timeout(duration('recoveryDone')),
          log: ctx.p2pLog,
        })
        told.push(t.label)
      } catch (err) {
        ctx.log.warn({ event: 'done-not-told', guardian: t.label, ...errorFields(err) })
        notTold.push({ guardian: t.label, error: err instanceof KithError ? err.code : 'UNREACHABLE' })
      }
    }),
  )
  ctx.say({ event: 'request-closed', told: told.sort(), notTold: notTold.map((n) => n.guardian).sort() })
  return { done, told, notTold }
}
