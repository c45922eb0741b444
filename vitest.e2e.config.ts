/** The process-boundary tier, `npm run test:e2e`: the stories in test/e2e/ (see vitest.config.ts). */
import { tier } from './test/setup/tier.js'

export default tier({
  include: ['test/e2e/**/*.test.ts'],
  exclude: [],
  timeoutMs: 120_000,
})
