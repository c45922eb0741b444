/**
 * The fault-injection suite's shape (see harness.ts): runs of seeded faults, each run's result printed as
 * a JSON line, and the suite failing on any invariant break or harness error. The fast profile is two
 * fixed seeds, one file each so that they run side by side (seed-5.test.ts, seed-27.test.ts), chosen so
 * that together they inject eight of the nine fault kinds (both corruptions cannot meet in one run;
 * corrupted chunks are also covered by the refusal tests). `npm run test:faults -- --runs N [--seed S]`
 * runs the long random profile (random.test.ts) and prints runs, faults injected and invariant breaks.
 * Replay a failure with its seed: `--runs 1 --seed S`.
 */
import { describe, expect, it } from 'vitest'
import { faultRun } from './harness.js'

export function faultSuite(seeds: readonly number[], title: string): void {
  describe(`fault injection: ${title}`, () => {
    it(
      'keeps every invariant under kills, partitions, full disks, corruption, replays and skewed clocks',
      async () => {
        let faults = 0
        const broken: string[] = []
        const errors: string[] = []
        for (const [i, seed] of seeds.entries()) {
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
            runs: seeds.length,
            seeds,
            faults_injected: faults,
            invariant_breaks: broken.length,
            harness_errors: errors.length,
          }),
        )
        expect(broken).toEqual([])
        expect(errors).toEqual([])
      },
      seeds.length * 120_000,
    )
  })
}
