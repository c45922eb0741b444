/**
 * The fast tier, `npm test`: unit tests, golden vectors, docs and architecture tests, and scenarios that
 * run many nodes in this process. The stories that need a process boundary (spawned daemons, SIGKILL,
 * network namespaces, Chromium, the demo) are the second tier, test/e2e/ (vitest.e2e.config.ts).
 */
import { tier } from './test/setup/tier.js'

export default tier({
  include: ['test/**/*.test.ts'],
  exclude: ['test/e2e/**'],
  // a scenario waits on events, never on a fixed sleep: 30 s is only the bound that names a hang
  timeoutMs: 30_000,
})
