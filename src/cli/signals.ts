/**
 * One shutdown path per process: the first SIGINT/SIGTERM stops the daemon gracefully, a second one
 * forces exit at once. A daemon that fails by itself (`failed` rejects) is stopped the same way, and
 * the returned promise rejects with its error. The handlers are in place when it returns: call it
 * before printing that the daemon runs, since whoever waits for that line may signal at once.
 */
export function stopOnSignal(
  stop: () => Promise<void>,
  say: (line: string) => void,
  failed?: Promise<never>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let signals = 0
    const off = () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130)
      say(`received ${sig}, stopping (send it again to force)`)
      stop().then(
        () => {
          off()
          resolve()
        },
        (err: unknown) => {
          say(`stop failed: ${err instanceof Error ? err.message : String(err)}`)
          process.exit(1)
        },
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    failed?.catch((err: unknown) => {
      off()
      void stop().finally(() => reject(err))
    })
  })
}
