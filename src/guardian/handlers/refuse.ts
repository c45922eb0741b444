/**
 * How every guardian handler says no: a named error reply (its stable code and one line), logged by
 * code; a full or failing disk is named STORAGE_FAILED and told to the guardian's human. A stream the
 * peer broke is nobody's refusal and no internal error: it is said as what it is, and nothing is sent.
 */
import { KithError, thrownText } from '../../errors.js'
import { errorFields } from '../../log.js'
import { StreamBrokenError } from '../../p2p/errors.js'
import { PROTOCOLS, type Wire } from '../../p2p/wire.js'
import type { GuardianContext } from '../context.js'
import { StorageFailedError } from '../errors.js'

/** The human line for a peer's stream that broke, where the guardian's human would want one. */
const BROKEN_LINES: ReadonlyMap<string, string> = new Map([
  [PROTOCOLS.push, "the coordinator's stream broke mid-push"],
  [PROTOCOLS.pushOnce, "the coordinator's stream broke mid-push"],
])

/** Answer with a named error; an unexpected one is also logged (its message, never data). */
export async function refuse(ctx: GuardianContext, wire: Wire, thrown: unknown): Promise<void> {
  if (thrown instanceof StreamBrokenError) {
    // the peer is gone or gave up (a coordinator stopped mid-push): there is nobody to tell
    ctx.log.info({ event: 'stream-broken', protocol: wire.protocol, how: thrown.how })
    const line = BROKEN_LINES.get(wire.protocol)
    if (line !== undefined) ctx.say(`${line} (${thrown.how})`)
    wire.stream.abort(thrown)
    return
  }
  // a full or failing disk is the friend's to fix: name it, and tell them on their terminal
  // SQLite's codes, and the file system's for the files kept beside its database (release files)
  const sqlite: unknown = thrown instanceof Error ? Reflect.get(thrown, 'code') : undefined
  const storage = typeof sqlite === 'string' && /^(SQLITE_(FULL|IOERR)|ENOSPC$|EDQUOT$|EIO$)/.test(sqlite)
  const err = storage ? new StorageFailedError(sqlite) : thrown
  if (storage)
    ctx.say(
      `!! cannot write to disk (${sqlite}): it is full or failing; free space, then restart the guardian`,
    )
  ctx.log.warn({ event: 'refused', protocol: wire.protocol, ...errorFields(err) })
  ctx.metrics.refused(err instanceof KithError ? err.code : 'INTERNAL')
  if (!(err instanceof KithError)) ctx.say(`internal error on ${wire.protocol}: ${thrownText(err)}`)
  await wire.sendError(err)
}
