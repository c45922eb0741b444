/**
 * The long random profile of fault injection (suite.ts): `npm run test:faults -- --runs N [--seed S]` sets
 * FAULT_RUNS (and FAULT_SEED) and runs this file; without them it is skipped, and the fixed seeds of
 * seed-5.test.ts and seed-27.test.ts are the fast profile.
 */
import { describe, it } from 'vitest'
import { faultSuite } from './suite.js'

const runs = process.env['FAULT_RUNS']
const base = Number(process.env['FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31))

if (runs === undefined && process.env['FAULT_SEED'] === undefined)
  describe.skip('fault injection: the random profile', () => {
    it('runs with npm run test:faults -- --runs N', () => {})
  })
else {
  const n = Number(runs ?? 2)
  faultSuite(
    Array.from({ length: n }, (_, i) => (base + i) >>> 0),
    `${n} run(s) from seed ${base}`,
  )
}
