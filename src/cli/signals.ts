/**
 * One shutdown path per process: the first SIGINT/SIGTERM stops the daemon gracefully, a second one
 * forces exit at once.
 */
export function stopOnSignal(stop: () => Promise<void>, say: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let signals = 0
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130)
      say(`received ${sig}, stopping (send it again to force)`)
      stop().then(resolve, (err: unknown) => {
        say(`stop failed: ${err instanceof Error ? err.message : String(err)}`)
        process.exit(1)
      })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
