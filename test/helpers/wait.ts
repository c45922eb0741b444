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

/** A running recovery's JSON events (spawned or in-process), and what it printed on stderr. */
export interface RecoveryEvents {
  readonly events: readonly Record<string, unknown>[]
  readonly stderr: string
}

/** The first event of this kind matching `where`, waiting for it. */
export async function recoveryEvent(
  r: RecoveryEvents,
  kind: string,
  where: (e: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  const find = () => r.events.find((e) => e['event'] === kind && where(e))
  await waitUntil(
    () => find() !== undefined,
    () => `${JSON.stringify(r.events)}\n${r.stderr}`,
  )
  return find()!
}

/** The request and code a recovery shows for one guardian (by peer ID). */
export async function recoveryCode(
  r: RecoveryEvents,
  peerId: string,
): Promise<{ request: string; code: string }> {
  const e = await recoveryEvent(r, 'request-sent', (x) => x['peerId'] === peerId)
  return { request: String(e['request']), code: String(e['code']) }
}
