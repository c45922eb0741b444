/**
 * A guardian's answer the coordinator checked and dropped (a receipt for another manifest, a roster that
 * does not verify, an address record its guardian never signed, a head that does not open, a FENCED
 * refusal without the newer roster): one warning line naming the guardian and what failed, so a lying
 * or broken guardian shows in the log. What the line says comes from kith's own checks, never from the
 * guardian's bytes.
 */

import type { KithError } from '../errors.js'
import { type Why, whyOf } from '../p2p/errors.js'
import { peerText } from '../p2p/peers.js'
import { cleanText } from '../text.js'
import type { GuardianRow } from './store.js'
import type { Vault } from './vault.js'

/** Log that `g` answered `what` with something that does not verify (`why`: the error, or a Why). */
export function distrust(
  vault: Pick<Vault, 'log'>,
  g: Pick<GuardianRow, 'label' | 'peerId'>,
  what: string,
  why: KithError | Why,
): void {
  vault.log.warn({
    event: 'bad-answer',
    guardian: cleanText(g.label, 64),
    peer: peerText(g.peerId),
    what,
    ...whyOf(why),
  })
}
