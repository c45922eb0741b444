/**
 * Alerts for an operator who is not watching: a JSON event POSTed to a webhook and/or piped to a
 * command's standard input, on every health transition and on equivocation or fencing. The payload
 * holds ids, labels, versions and reasons only, never a key, share or file content. A failing alert is
 * reported and never stops the watcher.
 */

import { spawn } from 'node:child_process'
import { cleanText } from '../text.js'
import { describeIncident, type VaultStatus, type Verdict } from './status.js'

export interface AlertTargets {
  readonly webhook?: string
  readonly command?: string
}

export interface AlertEvent {
  readonly kind: 'health' | 'equivocation' | 'fencing' | 'recovery-request'
  readonly vault: string
  readonly name: string
  readonly at: string
  readonly verdict: Verdict
  readonly previous?: Verdict
  readonly committedVersion: number
  readonly reasons: readonly string[]
}

const ALERT_TIMEOUT_MS = 10_000

async function _post(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
  })
  if (!res.ok) throw new Error(`webhook answered ${res.status}`)
}

function _run(command: string, body: string, kind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, KITH_ALERT_KIND: kind },
      timeout: ALERT_TIMEOUT_MS,
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`alert command exited with ${code}`)),
    )
    child.stdin!.end(body)
  })
}

/** Deliver one alert to every target; returns the failures as lines (never throws). */
export async function sendAlert(targets: AlertTargets, event: AlertEvent): Promise<string[]> {
  const body = JSON.stringify(event)
  const failures: string[] = []
  if (targets.webhook)
    await _post(targets.webhook, body).catch((e: Error) => failures.push(`webhook: ${e.message}`))
  if (targets.command)
    await _run(targets.command, body, event.kind).catch((e: Error) => failures.push(`command: ${e.message}`))
  return failures
}

/** Remembers the last verdict and turns status checks into alerts on change. */
export class HealthAlerts {
  private last: Verdict | undefined
  /** Incidents up to this time were alerted (or predate this watch; the first verdict shows them). */
  private incidentsSeen = Date.now()
  private readonly requestsSeen = new Set<string>()

  constructor(
    private readonly targets: AlertTargets,
    private readonly say: (line: string) => void,
  ) {}

  get enabled(): boolean {
    return this.targets.webhook !== undefined || this.targets.command !== undefined
  }

  /** Log the first verdict; alert if it changed since (or the first one seen is not safe). */
  async observe(status: VaultStatus): Promise<void> {
    const previous = this.last
    this.last = status.verdict
    if (previous === status.verdict) return
    const why = status.reasons.length ? ` (${status.reasons.join('; ')})` : ''
    this.say(
      previous === undefined
        ? `health: ${status.verdict}${why}`
        : `health: ${previous} -> ${status.verdict}${why}`,
    )
    if (previous === undefined && status.verdict === 'safe') return
    await this._send({ kind: 'health', status, ...(previous ? { previous } : {}) })
  }

  /**
   * Alert once for each equivocation or fencing incident recorded since the last look (from a guardian's
   * refusal of a push, or from evidence a guardian showed a status probe).
   */
  async incidents(status: VaultStatus): Promise<void> {
    const fresh = status.incidents.filter((i) => i.at > this.incidentsSeen)
    for (const i of fresh.reverse()) {
      const reason = describeIncident(i)
      this.say(`!! ${reason}`)
      await this._send({ kind: i.kind, status, reason })
    }
    this.incidentsSeen = Math.max(this.incidentsSeen, ...status.incidents.map((i) => i.at))
  }

  /** Alert once for each recovery request the guardians report: someone is recovering this vault. */
  async recoveryRequests(status: VaultStatus): Promise<void> {
    for (const r of status.recoveryRequests) {
      if (this.requestsSeen.has(r.request)) continue
      this.requestsSeen.add(r.request)
      const reason = `RECOVERY REQUEST ${r.request} at ${r.guardians.join(', ')}: if it is not you, run 'kith vault veto ${r.request}'`
      this.say(`!! ${reason}`)
      await this._send({ kind: 'recovery-request', status, reason })
    }
  }

  private async _send(e: {
    kind: AlertEvent['kind']
    status: VaultStatus
    previous?: Verdict
    reason?: string
  }): Promise<void> {
    if (!this.enabled) return
    const failures = await sendAlert(this.targets, {
      kind: e.kind,
      vault: e.status.vault,
      name: e.status.name,
      at: new Date().toISOString(),
      verdict: e.status.verdict,
      ...(e.previous ? { previous: e.previous } : {}),
      committedVersion: e.status.committedVersion,
      // reasons name guardians and quote their refusals: one safe line each, whoever wrote them
      reasons: (e.reason ? [e.reason, ...e.status.reasons] : e.status.reasons).map((r) => cleanText(r, 500)),
    })
    for (const f of failures) this.say(`alert not delivered: ${f}`)
  }
}
