/**
 * Work a burst of pushes needs done once, not once a push: announcing a vault's newest head, and the
 * retention its new versions trigger. Each is asked for under a key (the vault and what to do), and runs
 * when that key has been quiet for a moment, or at the latest a little after it was first asked, so a
 * steady stream of pushes still gets it. Asking again replaces what runs: the newest head is the one
 * announced. Nothing here is promised to anyone: what close() drops, the next anti-entropy round does.
 */
import { duration } from '../time/durations.js'

/** How long to wait for the next ask, and at most, per kind of work. */
export interface Delay {
  readonly quietMs: number
  readonly maxMs: number
}

/** A version's head announced to fellow guardians: a burst's newest one, soon after the burst. */
export const announceDelay = (): Delay => ({
  quietMs: duration('announceQuiet'),
  maxMs: duration('announceLatest'),
})
/**
 * Retention once a burst of pushes ends (a catch-up, a node's busy minute), and at least every few
 * seconds while it goes on. A push that would not fit in the quota applies it at once (handlers/push.ts).
 */
export const retainDelay = (): Delay => ({
  quietMs: duration('retainQuiet'),
  maxMs: duration('retainLatest'),
})

interface Due {
  readonly first: number
  timer: NodeJS.Timeout
}

export class Later {
  private readonly due = new Map<string, Due>()
  private closed = false

  /** Run `fn` once `key` has been asked for no more within `delay.quietMs`, or `delay.maxMs` after its first ask. */
  ask(key: string, delay: Delay, fn: () => void): void {
    if (this.closed) return
    const now = performance.now()
    const held = this.due.get(key)
    if (held !== undefined) clearTimeout(held.timer)
    const first = held?.first ?? now
    const wait = Math.max(0, Math.min(delay.quietMs, first + delay.maxMs - now))
    const timer = setTimeout(() => {
      this.due.delete(key)
      fn()
    }, wait)
    if (held !== undefined) held.timer = timer
    else this.due.set(key, { first, timer })
  }

  /** Drop what waits, and take no more (the guardian stops). */
  close(): void {
    this.closed = true
    for (const d of this.due.values()) clearTimeout(d.timer)
    this.due.clear()
  }
}
