/**
 * The network a host is in (p2p/addresses.ts networkOf), as limits on strangers count it: a /24 for
 * IPv4, a /64 for IPv6, one network however an address of it is written. A stranger with a whole /64
 * (or many addresses of a /24) counts once.
 */
import { describe, expect, it } from 'vitest'
import { networkOf } from '../../src/p2p/addresses.js'

describe('networkOf', () => {
  it('is the /24 of an IPv4 address', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24')
    expect(networkOf('127.0.7.1')).toBe(networkOf('127.0.7.64'))
    expect(networkOf('127.0.7.1')).not.toBe(networkOf('127.0.8.1'))
  })

  it('is the /64 of an IPv6 address, written in its canonical form', () => {
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(networkOf('2001:db8::1')).toBe('2001:db8::/64')
    expect(networkOf('fd00:66::13f')).toBe(networkOf('fd00:66::ffff:ffff:ffff:ffff'))
    expect(networkOf('fd00:66::1')).not.toBe(networkOf('fd00:66:0:1::1'))
  })

  it('is the same network however the address is written: case, zeros, "::", a zone', () => {
    const one = networkOf('2001:db8:a:b::1')
    for (const form of [
      '2001:DB8:A:B::1',
      '2001:0db8:000a:000b:0000:0000:0000:0001',
      '2001:db8:a:b:0:0:0:1',
      '2001:db8:a:b:ffff::',
    ])
      expect(networkOf(form)).toBe(one)
    expect(networkOf('fe80::1%eth0')).toBe('fe80::/64')
  })

  it('is the IPv4 /24 of an IPv4-mapped IPv6 address, dotted or in hex', () => {
    expect(networkOf('::ffff:203.0.113.9')).toBe('203.0.113.0/24')
    expect(networkOf('::ffff:cb00:7109')).toBe('203.0.113.0/24')
    expect(networkOf('0:0:0:0:0:ffff:127.0.0.1')).toBe(networkOf('127.0.0.200'))
  })

  it('keeps an IPv4 address embedded otherwise (not ::ffff:) in its IPv6 /64', () => {
    // the deprecated "IPv4-compatible" form and NAT64 are IPv6 addresses as far as a guardian can tell
    expect(networkOf('::1.2.3.4')).toBe('::/64')
    expect(networkOf('64:ff9b::1.2.3.4')).toBe('64:ff9b::/64')
  })

  it('returns what it cannot read as it is, and never throws', () => {
    expect(networkOf('')).toBe('')
    expect(networkOf('not an address')).toBe('not an address')
    expect(networkOf('1.2.3')).toBe('1.2.3')
    expect(networkOf('2001:db8::1::2')).toBe('2001:db8::1::2')
  })
})
