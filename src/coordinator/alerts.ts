/**
 * Alerts for an operator who is not watching: a JSON event POSTed to a webhook and/or piped to a
 * command's standard input, on every health transition and on equivocation or fencing. The payload
 * holds ids, labels, versions and reasons only, never a key, share or file content. A failing alert is
 * reported and never stops the watcher.
 */

import { hasTargets, type NotifyTargets, notify } from '../notify.js'
import { cleanText } from '../text.js'
import { HOUR } from '../time/units.js'
import { requestReasons } from './requests-seen.js'
import { describeIncident, type VaultStatus, type Verdict } from './status.js'

export type AlertTargets = NotifyTargets

export interface AlertEvent {
  readonly kind: 'health' | 'equivocation' | 'fencing' | 'recovery-request' | 'silent-guardian'
  readonly vault: string
  readonly name: string
  readonly at: string
  readonly verdict: Verdict
  readonly previous?: Verdict
  readonly committedVersion: number
  readonly reasons: readonly string[]
}

/** Deliver one alert to every target; returns the failures as lines (never throws). */
export function sendAlert(targets: AlertTargets, event: AlertEvent): Promise<string[]> {
  const urgent =
    event.kind === 'equivocation' || event.kind === 'fencing' || event.kind === 'recovery-request'
  return notify(targets, {
    kind: event.kind,
    title: `kith: "${event.name}" ${event.kind === 'health' ? event.verdict.toUpperCase() : event.kind}`,
    message: event.reasons.join('\n') || `vault ${event.name} is ${event.verdict}`,
    priority: urgent ? 'urgent' : event.verdict === 'safe' ? 'default' : 'high',
    body: event,
  })
}

/** Remembers the last verdict and turns status checks into alerts on change. */
export class HealthAlerts {
  private last: Verdict | undefined
  /** Incidents up to this time were alerted (or predate this watch; the first verdict shows them). */
  private incidentsSeen = Date.now()
  private readonly requestsSeen = new Set<string>()
  private readonly silentSeen = new Set<string>()

  constructor(
    private readonly targets: AlertTargets,
    private readonly say: (line: string) => void,
  ) {}

  get enabled(): boolean {
    return hasTargets(this.targets)
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
    // a recovery this node did not make that got the vault back: once, and louder than a request
    const got = [
      ...(status.recovered ?? []).map((r) => ({
        key: `recovered ${r.request}`,
        reason: requestReasons([], [r])[0]!,
      })),
      ...(status.released ?? []).map((r) => ({
        key: `released ${r.request} ${r.guardians.length}`,
        reason: requestReasons([], [], [r], status.k)[0]!,
      })),
    ]
    for (const { key, reason } of got) {
      if (this.requestsSeen.has(key)) continue
      this.requestsSeen.add(key)
      this.say(`!! ${reason}`)
      await this._send({ kind: 'recovery-request', status, reason })
    }
    for (const r of status.recoveryRequests) {
      if (this.requestsSeen.has(r.request)) continue
      this.requestsSeen.add(r.request)
      const reason = `RECOVERY REQUEST ${r.request} at ${r.guardians.join(', ')}: if it is not you, run 'kith vault veto ${r.request}'`
      this.say(`!! ${reason}`)
      await this._send({ kind: 'recovery-request', status, reason })
    }
  }

  /**
   * Alert once for each guardian not heard from for `afterMs` (no answer since then), and again only
   * after it was heard in between.
   */
  async silentGuardians(status: VaultStatus, afterMs: number, now = Date.now()): Promise<void> {
    for (const g of status.guardians) {
      if (!g.member) continue
      const since = g.unreachableSince ?? (g.reachable === false ? g.lastContact : null)
      const silent = since !== null && now - since >= afterMs
      if (!silent) {
        this.silentSeen.delete(g.peerId)
        continue
      }
      if (this.silentSeen.has(g.peerId)) continue
      this.silentSeen.add(g.peerId)
      const hours = Math.round((now - since) / HOUR)
      const reason = `${g.label} has not answered for ${hours} h: ask your friend whether their guardian runs (kith guardian status)`
      this.say(`!! ${reason}`)
      await this._send({ kind: 'silent-guardian', status, reason })
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
