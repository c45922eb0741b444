/** `kith vault watch`: back up on every change, retry laggards, and alert on what needs a human. */
import { readFile } from 'node:fs/promises'
import { pluginPaths } from '../../../../cln/config.js'
import { HealthAlerts } from '../../../../coordinator/alerts.js'
import { vaultMetrics } from '../../../../coordinator/metrics.js'
import { vaultStatus } from '../../../../coordinator/status.js'
import { exclusiveVault, Watcher } from '../../../../coordinator/watch.js'
import { Metrics, serveMetrics } from '../../../../metrics.js'
import type { GlobalArgs } from '../../../command.js'
import { say, stamp } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { stopOnSignal } from '../../../signals.js'
import { withVault } from '../open.js'
import type { WatchArgs } from './options.js'

export async function watchHandler(a: WatchArgs & GlobalArgs): Promise<void> {
  await withVault(
    a,
    async (vault) => {
      const line = (l: string) => {
        vault.log.info({ event: 'note' }, l)
        say(`${stamp()} ${l}`)
      }
      const alerts = new HealthAlerts(
        {
          ...(a.alertWebhook ? { webhook: a.alertWebhook } : {}),
          ...(a.alertNtfy ? { ntfy: a.alertNtfy } : {}),
          ...(a.alertCommand ? { command: a.alertCommand } : {}),
        },
        line,
      )
      const watcher = new Watcher(vault, {
        debounceMs: parseDuration(a.debounce),
        retryMs: parseDuration(a.retry),
        timeoutMs: parseDuration(a.timeout),
        onEvent: line,
        // the vault's lock only while a backup or retry runs: a manual backup takes its turn in between
        // (the CLN plugin never takes it: it asks this watch for a snapshot)
        exclusive: exclusiveVault(a.dataDir),
        afterRound: async () => {
          const status = await vaultStatus(vault)
          await alerts.incidents(status)
          await alerts.recoveryRequests(status)
          await alerts.observe(status)
          await alerts.silentGuardians(status, parseDuration(a.silentAfter))
        },
      })
      await watcher.start()
      const metrics = a.metricsListen === undefined ? undefined : new Metrics()
      // kith_push_seconds: each push to a guardian, as the guardians count theirs
      if (metrics) vault.onPushed = (seconds) => metrics.pushSeconds.observe(seconds)
      const server =
        metrics && a.metricsListen !== undefined
          ? await serveMetrics(
              metrics,
              a.metricsListen,
              async () => vaultMetrics(vault, metrics),
              // the CLN plugin's hook latencies, if it runs beside this vault
              () => readFile(pluginPaths(a.dataDir).metrics, 'utf8'),
            )
          : undefined
      // the handlers go in before the lines that say it runs: whoever waits for them may signal at once
      const stopped = stopOnSignal(
        async () => {
          server?.close()
          await watcher.stop()
        },
        line,
        watcher.failed,
      )
      if (server) line(`metrics at http://${a.metricsListen}/metrics`)
      line(`watching ${vault.db.sources().length} source(s) of vault "${vault.db.settings().name}"`)
      await stopped.finally(() => server?.close())
      line('stopped')
    },
    false,
  )
}
