/**
 * Telling a human who is not watching (docs/operator.md §Alerts, docs/guardian.md §Notifications): one
 * notice to a webhook (a JSON POST), to an ntfy topic (ntfy's plain-text POST, with a title, priority
 * and tags), and/or to a command (the JSON on its standard input). A notice holds names, ids, versions
 * and times, never a key, share, code or content. A failing target is reported, never thrown, and the
 * report never quotes the target (a URL may hold a token).
 */
import { spawn } from 'node:child_process'
import { duration } from './time/durations.js'

export interface NotifyTargets {
  /** Receives the notice's JSON by POST. */
  readonly webhook?: string
  /** An ntfy topic URL (https://ntfy.sh/<topic> or a self-hosted one): a phone notification. */
  readonly ntfy?: string
  /** A shell command that gets the JSON on its standard input (KITH_ALERT_KIND says which). */
  readonly command?: string
}

export interface Notice {
  readonly kind: string
  /** One short line (ntfy's title). */
  readonly title: string
  /** What happened and what to do, in plain words (ntfy's body). */
  readonly message: string
  readonly priority?: 'default' | 'high' | 'urgent'
  /** The JSON the webhook and the command get. */
  readonly body: object
}

/**
 * Why a delivery failed, in words that never hold the target itself: a webhook or ntfy URL may carry a
 * token, and fetch names the URL it could not parse.
 */
function _reason(err: unknown): string {
  if (!(err instanceof Error)) return 'failed'
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time'
  if (/^(answered \d+|exited with -?\w+)$/.test(err.message)) return err.message
  if (/parse URL|Invalid URL/i.test(err.message)) return 'not a valid URL'
  const cause: unknown = Reflect.get(err, 'cause')
  const code: unknown = Reflect.get(cause instanceof Error ? cause : err, 'code')
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return `failed (${code})`
  return err.name
}

async function _post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const signal = AbortSignal.timeout(duration('notify'))
  const res = await fetch(url, { method: 'POST', headers, body, signal })
  if (!res.ok) throw new Error(`answered ${res.status}`)
}

function _run(command: string, body: string, kind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, KITH_ALERT_KIND: kind },
      timeout: duration('notify'),
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exited with ${code}`))))
    // a command that exits without reading its input breaks the pipe (EPIPE): its exit status says how it
    // went, and the error must not go unhandled (it would stop this process: a daemon, or kith-cln)
    child.stdin!.on('error', () => undefined)
    child.stdin!.end(body)
  })
}

/** A header value: plain ASCII as it is, anything else as an RFC 2047 encoded word (ntfy reads both). */
const _header = (v: string): string =>
  /^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`

/** Whether any target is set. */
export const hasTargets = (t: NotifyTargets): boolean =>
  t.webhook !== undefined || t.ntfy !== undefined || t.command !== undefined

/** Deliver one notice to every target; the failures, as lines. */
export async function notify(targets: NotifyTargets, n: Notice): Promise<string[]> {
  const json = JSON.stringify(n.body)
  const failures: string[] = []
  const jobs: Promise<void>[] = []
  if (targets.webhook)
    jobs.push(
      _post(targets.webhook, json, { 'content-type': 'application/json' }).catch((e: unknown) => {
        failures.push(`webhook: ${_reason(e)}`)
      }),
    )
  if (targets.ntfy)
    jobs.push(
      _post(targets.ntfy, n.message, {
        'content-type': 'text/plain; charset=utf-8',
        title: _header(n.title),
        priority: n.priority === 'urgent' ? '5' : n.priority === 'high' ? '4' : '3',
        tags: `kith,${n.kind}`,
      }).catch((e: unknown) => {
        failures.push(`ntfy: ${_reason(e)}`)
      }),
    )
  if (targets.command)
    jobs.push(
      _run(targets.command, json, n.kind).catch((e: unknown) => {
        failures.push(`command: ${_reason(e)}`)
      }),
    )
  await Promise.all(jobs)
  return failures
}
