/**
 * The fast tier, `npm test`: unit tests, golden vectors, docs and architecture tests, and scenarios that
 * run many nodes in this process. The stories that need a process boundary (spawned daemons, SIGKILL,
 * network namespaces, Chromium, the demo) are the second tier, test/e2e/ (vitest.e2e.config.ts); the release
 * files, as users run them, are the third, test/release/ (vitest.release.config.ts).
 */
import { tier } from './test/setup/tier.js'

export default tier({
  include: ['test/**/*.test.ts'],
  exclude: ['test/e2e/**', 'test/release/**'],
  // a scenario waits on events, never on a fixed sleep: the bound only names a hang, and must hold on a
  // machine whose cores are busy with other work (a scenario of 5 s idle takes 20 s at four times the load)
  timeoutMs: 60_000,
})
