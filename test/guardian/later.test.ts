/**
 * Work done once a burst of pushes is over (guardian/later.ts): the newest of a burst runs once, after
 * the quiet; a steady stream still gets it by the latest time; a stopped guardian runs none of it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Later } from '../../src/guardian/later.js'

const DELAY = { quietMs: 25, maxMs: 250 }

describe('work after a burst', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a burst runs its newest work once, after the quiet', () => {
    const later = new Later()
    const ran: number[] = []
    for (let i = 1; i <= 5; i++) {
      later.ask('v/announce', DELAY, () => ran.push(i))
      vi.advanceTimersByTime(10)
    }
    expect(ran).toEqual([])
    vi.advanceTimersByTime(15)
    expect(ran).toEqual([5])
    vi.advanceTimersByTime(1000)
    expect(ran).toEqual([5])
  })

  it('a steady stream still runs by the latest time, then starts over', () => {
    const later = new Later()
    const ran: number[] = []
    for (let i = 1; i <= 60; i++) {
      later.ask('v/announce', DELAY, () => ran.push(i))
      vi.advanceTimersByTime(10) // never 25 ms quiet
    }
    // asked at 0, 10, ... 590: the work asked at 240 runs at 250, 250 ms after the burst's first ask;
    // the next burst starts at 250, and its work asked at 490 runs at 500
    expect(ran).toEqual([25, 50])
  })

  it('keys are apart, and a closed one runs nothing', () => {
    const later = new Later()
    const ran: string[] = []
    later.ask('a/retain', DELAY, () => ran.push('a'))
    later.ask('b/retain', DELAY, () => ran.push('b'))
    vi.advanceTimersByTime(25)
    expect(ran.sort()).toEqual(['a', 'b'])
    later.ask('a/retain', DELAY, () => ran.push('late'))
    later.close()
    later.ask('b/retain', DELAY, () => ran.push('after close'))
    vi.advanceTimersByTime(1000)
    expect(ran.sort()).toEqual(['a', 'b'])
  })
})
