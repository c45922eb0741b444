/** Poll `check` until it holds; on timeout, fail with `log()` (what was seen) attached. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  log: () => string = () => '',
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; output:\n${log()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
