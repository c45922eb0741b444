#!/usr/bin/env node
// `npm run test:faults -- --runs N [--seed S]`: the long fault-injection profile through vitest.
import { spawnSync } from 'node:child_process'

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}
const env = { ...process.env, FAULT_RUNS: arg('runs') ?? '20' }
if (arg('seed') !== undefined) env.FAULT_SEED = arg('seed')
const r = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--config',
    'vitest.e2e.config.ts',
    'test/e2e/faults/random.test.ts',
    '--reporter=verbose',
  ],
  {
    stdio: 'inherit',
    env,
  },
)
process.exit(r.status ?? 1)
