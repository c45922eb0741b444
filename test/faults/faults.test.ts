/**
 * The fault-injection suite (see harness.ts). `npm test` runs the fast profile: FAULT_RUNS runs (default
 * 2) from a printed seed. `npm run test:faults -- --runs N [--seed S]` runs the long profile and prints
 * runs, faults injected and invariant breaks. Replay a failure with its seed: `--runs 1 --seed S`.
 */
import { describe, expect, it } from 'vitest'
import { faultRun } from './harness.js'

const runs = Number(process.env['FAULT_RUNS'] ?? 2)
const base = Number(process.env['FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31))

describe(`fault injection: ${runs} run(s) from seed ${base}`, () => {
  it(
    'keeps every invariant under kills, partitions, full disks, corruption, replays and skewed clocks',
    async () => {
      let faults = 0
      const broken: string[] = []
      const errors: string[] = []
      for (let i = 0; i < runs; i++) {
        const seed = (base + i) >>> 0
        let r: Awaited<ReturnType<typeof faultRun>>
        try {
          r = await faultRun(seed)
        } catch (err) {
          // the harness itself failed (e.g. a daemon could not bind its port): not a kith invariant,
          // but reported, and it fails the suite so that it is looked at
          const first = (err as Error).message.split('\n')[0]
          errors.push(`seed ${seed}: ${first}`)
          console.log(JSON.stringify({ run: i + 1, seed, harnessError: first }))
          continue
        }
        faults += r.faults.filter((f) => f !== 'none').length
        console.log(JSON.stringify({ run: i + 1, ...r }))
        for (const b of r.breaks) broken.push(`seed ${seed}: ${b}`)
      }
      console.log(
        JSON.stringify({
          runs,
          seed: base,
          faults_injected: faults,
          invariant_breaks: broken.length,
          harness_errors: errors.length,
        }),
      )
      expect(broken).toEqual([])
      expect(errors).toEqual([])
    },
    runs * 120_000,
  )
})
