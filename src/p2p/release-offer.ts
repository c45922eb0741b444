/**
 * The client side of `/kith/release-file/1.0.0` (docs/format.md §Release offer): the vault's coordinator
 * offers a guardian the kith release file it runs, by name, SHA-256 and size; the guardian answers that
 * it has it, or asks for it, and then takes the bytes in parts and acknowledges once they are durable.
 * It reads no file itself: the caller hands it the bytes, and a failure aborts the stream.
 */

import type { CallOptions, PeerRef } from './client.js'
import { MSG, RELEASE_PART_BYTES } from './messages.js'
import type { KithNode } from './node.js'
import { openStream } from './peers.js'
import { abortOnFailure, closeAfterReply, PROTOCOLS, Wire } from './wire.js'

/** What is offered: the vault it is offered for, and the file's published name, SHA-256 and size. */
export interface ReleaseFileOffer {
  readonly vaultId: Uint8Array
  readonly name: string
  readonly sha256: Uint8Array
  readonly size: number
}

/**
 * Offer one guardian the release file; `bytes` is read only if the guardian asks for it. Resolves
 * 'have' (it keeps it already) or 'sent' (it has it now, durably); a refusal is a RemoteError.
 */
export async function offerReleaseFile(
  node: KithNode,
  guardian: PeerRef,
  offer: ReleaseFileOffer,
  bytes: () => AsyncIterable<Uint8Array>,
  options?: CallOptions,
): Promise<'have' | 'sent'> {
  const protocol = PROTOCOLS.releaseFile
  const stream = await openStream(
    node,
    guardian.peerId,
    guardian.addrs,
    protocol,
    options?.signal,
    options?.log,
  )
  const wire = new Wire(stream, protocol, MSG.releaseAnswer.maxBytes)
  const outcome = await abortOnFailure(stream, async () => {
    await wire.send(MSG.releaseOffer, offer, options)
    const { answer } = await wire.receive(MSG.releaseAnswer, options)
    if (answer === 'have') return 'have' as const
    for await (const part of _parts(bytes())) {
      await wire.send(MSG.releasePart, { data: part }, options)
      // one part at a time: the guardian acks each once written (its read buffer holds about two, and a
      // sender that ran ahead of its disk would overflow it), and the whole file once it is durable
      await wire.receive(MSG.ack, options)
    }
    await wire.receive(MSG.ack, options)
    return 'sent' as const
  })
  await closeAfterReply(stream)
  return outcome
}

/** `bytes` in parts of RELEASE_PART_BYTES (the last one shorter): few round trips, each part one message. */
async function* _parts(bytes: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let held: Uint8Array[] = []
  let size = 0
  for await (const piece of bytes) {
    for (let i = 0; i < piece.length; ) {
      const take = piece.subarray(i, i + RELEASE_PART_BYTES - size)
      held.push(take)
      size += take.length
      i += take.length
      if (size === RELEASE_PART_BYTES) {
        yield Buffer.concat(held)
        held = []
        size = 0
      }
    }
  }
  if (size > 0) yield Buffer.concat(held)
}
