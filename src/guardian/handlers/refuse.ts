/**
 * How every guardian handler says no: a named error reply (its stable code and one line), logged by
 * code; a full or failing disk is named STORAGE_FAILED and told to the guardian's human.
 */
import { KithError } from '../../errors.js'
import { errorFields } from '../../log.js'
import type { Wire } from '../../p2p/wire.js'
import type { GuardianContext } from '../context.js'
import { StorageFailedError } from '../errors.js'

/** Answer with a named error; an unexpected one is also logged (its message, never data). */
export async function refuse(ctx: GuardianContext, wire: Wire, thrown: unknown): Promise<void> {
  // a full or failing disk is the friend's to fix: name it, and tell them on their terminal
  const sqlite: unknown = thrown instanceof Error ? Reflect.get(thrown, 'code') : undefined
  const storage = typeof sqlite === 'string' && /^SQLITE_(FULL|IOERR)/.test(sqlite)
  const err = storage ? new StorageFailedError(sqlite) : thrown
  if (storage)
    ctx.say(
      `!! cannot write to disk (${sqlite}): it is full or failing; free space, then restart the guardian`,
    )
  ctx.log.warn({ event: 'refused', protocol: wire.protocol, ...errorFields(err) })
  ctx.metrics.refused(err instanceof KithError ? err.code : 'INTERNAL')
  if (!(err instanceof KithError))
    ctx.say(`internal error on ${wire.protocol}: ${err instanceof Error ? err.message : String(err)}`)
  await wire.sendError(err)
}
