/**
 * Prometheus metrics (docs/operator.md §Metrics), through prom-client, each on a registry of its own
 * process. Label values come only from bounded sets: error codes kith defines, and guardian names the
 * operator or friend chose (cleaned, bounded). Never a key, a share or content.
 */
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { cleanText } from './text.js'

const CODE_LABEL: readonly ['code'] = ['code']

export class Metrics {
  readonly registry = new Registry()
  private readonly refusals = new Counter({
    name: 'kith_refusals_total',
    help: 'Requests refused, by error code',
    labelNames: CODE_LABEL,
    registers: [this.registry],
  })
  readonly pushSeconds = new Histogram({
    name: 'kith_push_seconds',
    help: 'A version pushed to one guardian, from offer to durable receipt',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  })
  private readonly gauges = new Map<string, Gauge<string>>()

  /** Count a refusal by its code (kith's own codes: a bounded set). */
  refused(code: string): void {
    this.refusals.inc({ code: /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'OTHER' })
  }

  /** Set a gauge, made on first use; label values are cleaned and bounded. */
  set(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    let g = this.gauges.get(name)
    if (g === undefined) {
      g = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [this.registry] })
      this.gauges.set(name, g)
    }
    const clean = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, cleanText(v, 64)]))
    g.set(clean, value)
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}

/**
 * Serve `/metrics` (and nothing else) on `host:port`; 127.0.0.1 unless told otherwise. `extra` adds
 * Prometheus text another process wrote (the CLN plugin's file).
 */
export function serveMetrics(
  metrics: Metrics,
  listen: string,
  before?: () => Promise<void>,
  extra?: () => Promise<string>,
): Promise<Server> {
  const [host, port] = listen.includes(':')
    ? [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)]
    : ['127.0.0.1', listen]
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    void (before?.() ?? Promise.resolve())
      .then(async () => (await metrics.text()) + ((await extra?.().catch(() => '')) ?? ''))
      .then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(port), host, () => resolve(server))
  })
}
