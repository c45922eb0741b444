/**
 * The coordinator's part in recovery: the printable kit (what a new machine needs, no secrets) and the
 * veto a live owner sends when a recovery request is not theirs.
 */
import { encodeText } from '../crypto/text.js'
import { KithError } from '../errors.js'
import { sendVeto } from '../p2p/client.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import type { Kit } from '../recovery/kit.js'
import { REQUEST_ID_LENGTH, signVeto } from '../shares/release.js'
import type { Vault } from './vault.js'

/** A request id that is not 16 hex digits. */
export class InvalidRequestIdError extends KithError {
  readonly code = 'INVALID_REQUEST_ID'
  constructor(id: string) {
    super(`'${id}' is not a recovery request id (16 hex digits, as 'kith vault status' shows it)`)
  }
}

export function buildKit(vault: Vault): Kit {
  const s = vault.db.settings()
  const members = vault.members()
  return {
    version: 1,
    vault: encodeText('vault', s.vaultId),
    name: s.name,
    k: s.k,
    n: members.length,
    w: s.w,
    guardians: members.map((g) => ({
      label: g.label,
      peerId: peerIdFromBytes(g.peerId).toString(),
      addrs: g.addrs,
    })),
  }
}

/** Veto a recovery request at every member guardian; each guardian's answer is reported. */
export async function vetoRequest(
  vault: Vault,
  requestHex: string,
): Promise<{ label: string; ok: boolean; error?: string }[]> {
  if (!/^[0-9a-fA-F]+$/.test(requestHex) || requestHex.length !== 2 * REQUEST_ID_LENGTH)
    throw new InvalidRequestIdError(requestHex)
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
        await sendVeto(node, g, veto.bytes, { signal: AbortSignal.timeout(15_000) })
        return { label: g.label, ok: true }
      } catch (err) {
        return {
          label: g.label,
          ok: false,
          error: err instanceof KithError ? `${err.message} [${err.code}]` : String(err),
        }
      }
    }),
  )
}
