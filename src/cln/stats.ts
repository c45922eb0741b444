/**
 * The plugin's own metrics. kith-cln serves nothing (it speaks only to lightningd), so it writes its
 * registry as Prometheus text to a file beside its log every 10 s (`statsFlush`) and when it stops, the
 * way node_exporter's textfile collector reads such files; `kith vault watch --metrics-listen` serves it.
 * Nothing in it is secret: latencies, counts and a version number.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { writeFileAtomic } from '../disk/atomic.js'
import { duration } from '../time/durations.js'

export class HookStats {
  private readonly registry = new Registry()
  private readonly hookSeconds = new Histogram({
    name: 'kith_cln_hook_seconds',
    help: 'A db_write hook, from lightningd asking to kith-cln answering',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60],
    registers: [this.registry],
  })
  private readonly refusals = new Counter({
    name: 'kith_cln_refusals_total',
    help: 'db_write hooks refused (lightningd stops)',
    registers: [this.registry],
  })
  private readonly version = new Gauge({
    name: 'kith_cln_data_version',
    help: 'The newest data_version replicated to W guardians',
    registers: [this.registry],
  })
  private readonly alerts = new Counter({
    name: 'kith_cln_alerts_total',
    help: 'Alerts to the operator while lightningd was held, by target and outcome (sent, failed)',
    labelNames: ['target', 'outcome'],
    registers: [this.registry],
  })
  private readonly written = new Gauge({
    name: 'kith_cln_metrics_written_timestamp_seconds',
    help: 'When kith-cln last wrote these metrics (a stale value: the plugin is not running)',
    registers: [this.registry],
  })
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly file: string) {}

  /** One hook answered (`ok`) or refused, after `seconds`. */
  hook(seconds: number, ok: boolean, dataVersion: number): void {
    this.hookSeconds.observe(seconds)
    if (ok) this.version.set(dataVersion)
    else this.refusals.inc()
  }

  /** One alert delivery to `target` (webhook, command), sent or failed. */
  alert(target: string, ok: boolean): void {
    this.alerts.inc({ target, outcome: ok ? 'sent' : 'failed' })
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), duration('statsFlush'))
    this.timer.unref()
  }

  async flush(): Promise<void> {
    this.written.set(Date.now() / 1000)
    await writeFileAtomic(this.file, await this.registry.metrics(), { syncDir: false })
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.flush().catch(() => undefined)
  }
}
