import { describe, expect, it } from 'vitest'
import { inOrderAhead } from '../src/ahead.js'

const tick = () => new Promise((r) => setTimeout(r, 1))

describe('inOrderAhead', () => {
  it('yields in order however the calls finish, with at most `ahead` running beside the one held', async () => {
    let running = 0
    let most = 0
    const out: number[] = []
    // later items finish first
    const gen = inOrderAhead([5, 4, 3, 2, 1, 0], 3, async (n, i) => {
      running++
      most = Math.max(most, running)
      for (let k = 0; k < n; k++) await tick()
      running--
      return n * 10 + i
    })
    for await (const r of gen) out.push(r)
    expect(out).toEqual([50, 41, 32, 23, 14, 5])
    expect(most).toBe(3)
  })

  it('throws a failure when its turn comes, after the results before it; later ones start no more', async () => {
    const started: number[] = []
    const got: number[] = []
    const run = async () => {
      for await (const r of inOrderAhead([0, 1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
        started.push(n)
        if (n === 2) throw new Error('two')
        return n
      }))
        got.push(r)
    }
    await expect(run()).rejects.toThrow('two')
    expect(got).toEqual([0, 1])
    expect(Math.max(...started)).toBeLessThanOrEqual(3)
  })

  it('nothing to do: nothing yielded', async () => {
    const gen = inOrderAhead([], 4, async () => 1)
    expect((await gen.next()).done).toBe(true)
  })
})
