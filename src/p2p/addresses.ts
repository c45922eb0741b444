/** What kith reads from a multiaddr: the host (IP address) a connection comes from. */
import type { Multiaddr } from '@multiformats/multiaddr'

/** The IP address of a multiaddr ('' if it has none, e.g. a relayed or in-memory one). */
export function hostOf(addr: Multiaddr): string {
  return addr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
}
