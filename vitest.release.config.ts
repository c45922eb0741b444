/**
 * The release tier, `npm run test:release`: the release files that `npm run release` has just built, run
 * as users get them (test/release/): on a bare machine, as arm64 under emulation, in the guardian image.
 */
import { tier } from './test/setup/tier.js'

export default tier({
  include: ['test/release/**/*.test.ts'],
  exclude: [],
  timeoutMs: 300_000,
})
