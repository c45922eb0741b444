/**
 * The owner's own finished recovery, as the resumed vault remembers it (docs/format.md §Recovery done):
 * the signed message that closed its request, kept as the event `recovery-finished`. A guardian that was
 * not reached then still lists the request as open; `kith vault status` tells it again, and counts none
 * of it as someone trying to recover the vault. `kith vault veto` refuses it (OWN_RECOVERY).
 */
import { type Done, vaultSigned } from '../ceremony/done.js'
import { decodeUnsigned, encodeRecordBody } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { errorFields } from '../log.js'
import { sendDone } from '../p2p/client.js'
import { MSG } from '../p2p/messages.js'
import { duration } from '../time/durations.js'
import type { Vault } from './vault.js'

/** Remember the message that closed this node's own recovery request (public: two signatures). */
export function recordFinishedRecovery(vault: Vault, done: Done, notTold: readonly string[]): void {
  vault.db.event(
    'recovery-finished',
    { request: toHex(done.requestId), done: toHex(encodeRecordBody(MSG.done, done)), notTold },
    vault.now(),
  )
}

/** This vault's finished recoveries by request id (hex): when, and the message, checked again. */
export function finishedRecoveries(vault: Vault): Map<string, { at: number; done: Done }> {
  const out = new Map<string, { at: number; done: Done }>()
  for (const e of vault.db.eventsOf('recovery-finished')) {
    const d = JSON.parse(e.detail) as { done?: unknown }
    if (typeof d.done !== 'string') continue
    const done = decodeUnsigned(MSG.done, Buffer.from(d.done, 'hex'))
    // read back from disk: only this vault's, with the vault's signature
    if (!equalBytes(done.vaultId, vault.vaultId) || !vaultSigned(done)) continue
    out.set(toHex(done.requestId), { at: e.at, done })
  }
  return out
}

/**
 * Split the open requests the guardians reported into others' and this node's own finished recovery;
 * the guardians still showing one of the latter are told again (best effort: the next status retries).
 */
export async function setOwnApart<
  R extends { readonly request: string; readonly guardians: readonly string[] },
>(
  vault: Vault,
  seen: readonly R[],
  finished = finishedRecoveries(vault),
): Promise<{ others: R[]; own: R[] }> {
  const own = seen.filter((r) => finished.has(r.request))
  if (own.length === 0) return { others: [...seen], own }
  const node = await vault.network()
  const members = vault.members()
  await Promise.all(
    own.flatMap((r) =>
      r.guardians.map(async (label) => {
        const g = members.find((m) => m.label === label)
        if (g === undefined) return
        try {
          await sendDone(node, g, finished.get(r.request)!.done, {
            signal: AbortSignal.timeout(duration('recoveryDone')),
            log: vault.p2pLog,
          })
          vault.log.info({ event: 'recovery-closed', guardian: label, request: r.request })
        } catch (err) {
          vault.log.warn({
            event: 'recovery-not-closed',
            guardian: label,
            request: r.request,
            ...errorFields(err),
          })
        }
      }),
    ),
  )
  return { others: seen.filter((r) => !finished.has(r.request)), own }
}
