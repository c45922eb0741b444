/**
 * The wall clock kith uses for what it records and signs (created times, expiries, last contact).
 * `KITH_CLOCK_SKEW_MS` shifts it, so the fault-injection suite can run a guardian or a coordinator with a
 * skewed clock (docs/troubleshooting.md explains what a skewed clock can and cannot break).
 */
export function systemClock(env: NodeJS.ProcessEnv = process.env): () => number {
  const skew = Number(env['KITH_CLOCK_SKEW_MS'] ?? 0)
  return Number.isFinite(skew) && skew !== 0 ? () => Date.now() + skew : Date.now
}
