/**
 * `kith vault veto`: the live owner's answer to a recovery request that is not theirs (docs/format.md
 * §Veto). Signed by the vault key and sent to every member guardian; each guardian's answer is reported.
 */
import { REQUEST_ID_LENGTH } from '../ceremony/request.js'
import { signVeto } from '../ceremony/veto.js'
import { KithError } from '../errors.js'
import { formatAgo } from '../format.js'
import { errorFields } from '../log.js'
import { sendVeto } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { duration } from '../time/durations.js'
import { InvalidRequestIdError, OwnRecoveryError } from './errors.js'
import { finishedRecoveries } from './finished-recovery.js'
import { vaultStatus } from './status.js'
import type { Vault } from './vault.js'

/**
 * The request an owner means: the whole id, or its first hex digits (4 or more) as `guardian deny` takes
 * them, matched against the open requests the guardians report (`vault status`).
 */
export async function resolveRequest(vault: Vault, text: string): Promise<string> {
  const want = text.toLowerCase()
  if (!/^[0-9a-f]{4,}$/.test(want) || want.length > 2 * REQUEST_ID_LENGTH)
    throw new InvalidRequestIdError(text)
  if (want.length === 2 * REQUEST_ID_LENGTH) return want
  // the owner's own finished recovery is not among the open ones status lists: matched beside them (and
  // refused after), never instead of them, so a stranger's request with the same first digits is not missed
  const own = [...finishedRecoveries(vault).keys()].filter((r) => r.startsWith(want))
  const open = (await vaultStatus(vault)).recoveryRequests
    .map((r) => r.request)
    .filter((r) => r.startsWith(want))
  const seen = [...new Set([...open, ...own])]
  if (seen.length === 1) return seen[0]!
  throw new InvalidRequestIdError(
    text,
    seen.length === 0
      ? 'no open recovery request the guardians report starts with it (kith vault status lists them; give the whole id if a guardian is offline)'
      : `${seen.length} requests start with it; give more of its digits`,
  )
}

export async function vetoRequest(
  vault: Vault,
  requestHex: string,
): Promise<{ label: string; ok: boolean; error?: string; code?: string }[]> {
  if (!/^[0-9a-fA-F]+$/.test(requestHex) || requestHex.length !== 2 * REQUEST_ID_LENGTH)
    throw new InvalidRequestIdError(requestHex)
  // the owner's own finished recovery: vetoing it would only alarm the friends; it is being closed
  const own = finishedRecoveries(vault).get(requestHex.toLowerCase())
  if (own !== undefined) throw new OwnRecoveryError(requestHex.toLowerCase(), formatAgo(vault.now() - own.at))
  const veto = signVeto(
    {
      vaultId: vault.vaultId,
      requestId: new Uint8Array(Buffer.from(requestHex, 'hex')),
      createdAt: vault.now(),
    },
    vault.signingKey(),
  )
  const node = await vault.network()
  vault.db.event('veto', { request: requestHex.toLowerCase() }, vault.now())
  return Promise.all(
    vault.members().map(async (g) => {
      try {
        await sendVeto(node, g, veto.bytes, {
          signal: AbortSignal.timeout(duration('veto')),
          log: vault.p2pLog,
        })
        vault.log.info({ event: 'veto-delivered', guardian: g.label, request: requestHex.toLowerCase() })
        return { label: g.label, ok: true }
      } catch (err) {
        vault.log.warn({
          event: 'veto-not-delivered',
          guardian: g.label,
          request: requestHex.toLowerCase(),
          ...errorFields(err),
        })
        return {
          label: g.label,
          ok: false,
          ...(isRemote(err) ? { code: err.remoteCode } : err instanceof KithError ? { code: err.code } : {}),
          // the guardian's own words for its human name a command the owner cannot run there
          error: isRemote(err, 'UNKNOWN_REQUEST')
            ? 'this guardian holds no such request (it never heard of it, or closed it long ago) [UNKNOWN_REQUEST]'
            : err instanceof KithError
              ? `${err.message} [${err.code}]`
              : String(err),
        }
      }
    }),
  )
}
