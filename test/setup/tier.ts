/** What both test tiers share: one run scope (run-scope.ts), forks, and the cache. */
import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export function tier(options: { include: string[]; exclude: string[]; timeoutMs: number }) {
  return defineConfig({
    // outside node_modules, so `npm ci` keeps it: files that took longest last time start first
    cacheDir: '.cache/vite',
    test: {
      include: options.include,
      exclude: ['**/node_modules/**', ...options.exclude],
      globalSetup: ['test/setup/run-scope.ts'],
      testTimeout: options.timeoutMs,
      hookTimeout: options.timeoutMs,
      teardownTimeout: 30_000,
      pool: 'forks',
      // many tests wait on sockets, timers and child processes: one worker per core, and at least two
      maxWorkers: Math.max(2, availableParallelism()),
    },
  })
}
