import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['src/polyfill.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // many tests wait on sockets, timers and child processes: one worker per core, and at least two
    maxWorkers: Math.max(2, availableParallelism()),
  },
})
