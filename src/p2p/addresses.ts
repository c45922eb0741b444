/**
 * What kith reads from a multiaddr: the host (IP address) a connection comes from, and the network that
 * host is in, which is what limits on strangers count. Never throws on an address it cannot read: a
 * host it does not know how to group is its own network.
 */
import { isIPv4, isIPv6 } from 'node:net'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The IP address of a multiaddr ('' if it has none, e.g. a relayed or in-memory one). */
export function hostOf(addr: Multiaddr): string {
  return addr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
}

/**
 * The network a host is in, as limits on strangers count it: its /24 for IPv4 ("203.0.113.0/24"), its /64
 * for IPv6 ("2001:db8:1:2::/64"). One home, one server or one provider's customer gets a whole /64 (or
 * many addresses of a /24) for nothing, so counting addresses would count one asker many times. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps. Anything else ('' included) is
 * returned as it is.
 */
export function networkOf(host: string): string {
  if (isIPv4(host)) return `${host.split('.').slice(0, 3).join('.')}.0/24`
  const groups = _ipv6Groups(host)
  if (groups === undefined) return host
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!]
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.0/24`
  }
  return `${_canonical(
    `${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(':')}::`,
  )}/64`
}

/** The eight 16-bit groups of an IPv6 address (any textual form, a zone dropped), or undefined. */
function _ipv6Groups(host: string): number[] | undefined {
  // the zone (fe80::1%eth0) names a link of this machine, not a network
  const address = host.split('%')[0]!
  if (!isIPv6(address)) return undefined
  // the URL parser writes every form (dotted tail, upper case, zeros) one way: hex groups, one "::"
  const [head, tail] = _canonical(address).split('::') as [string, string | undefined]
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : [])
  const [left, right] = [part(head), part(tail)]
  if (tail === undefined) return left
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/** An IPv6 address in its canonical text (RFC 5952), without brackets. */
const _canonical = (address: string) => new URL(`http://[${address}]/`).hostname.slice(1, -1)
