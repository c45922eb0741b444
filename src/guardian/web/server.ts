/**
 * The guardian's local page (docs/guardian.md §The local page): an HTTP server on 127.0.0.1 by default,
 * beside the daemon, on the daemon's own database. What it defends against, and how:
 * - another program on this computer, which can listen on another 127.0.0.1 port and so receive any
 *   cookie of this host: there is no cookie. A session is a secret the page's script keeps in the tab's
 *   sessionStorage (bound to this origin: scheme, host and port) and sends as the `x-kith-session`
 *   header; a browser sends that header cross-origin only after a CORS preflight, which this server never
 *   grants. Navigations carry nothing, so `GET /`, `/history` and `/login` serve the same empty shell,
 *   and the data comes from `/view/…` with the header.
 * - other local users or web pages without a session: nothing but /metrics, /proof, the assets and the
 *   shell; a session only from a one-time link `kith guardian open` makes (256-bit token in the URL's
 *   fragment, never sent in a request line; only its hash stored; 10 minutes; once);
 * - cross-site requests: a request whose Origin or Sec-Fetch-Site says another origin is refused;
 * - DNS rebinding: a Host that is neither an IP literal nor localhost is refused (421);
 * - injected markup: every value is escaped (html.ts), and the content security policy allows only this
 *   server's own style sheet and script, no frames, no form targets elsewhere.
 * Decisions go through the same functions as `kith guardian approve|deny|keep`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { normalizeCode } from '../../ceremony/request.js'
import { KithError } from '../../errors.js'
import { cleanText } from '../../text.js'
import { duration } from '../../time/durations.js'
import { GUARDIAN_ADVICE } from '../advice.js'
import { approveRequest, denyRequest, denyWaiting } from '../approvals.js'
import type { ReleaseFiles } from '../release-files.js'
import type { GuardianStore } from '../store/index.js'
import { ICON, SCRIPT, STYLE } from './assets.js'
import { type Flash, historyPage, loginPage, overviewPage, shellPage } from './pages.js'
import { releaseViews, sendReleaseFile } from './release-files.js'
import { pageProof } from './runtime.js'
import { historyLines, reachWords, requestViews, vaultViews } from './view.js'

/** A tab's session: made at login, kept in memory (a restart logs out), `pageSession` at most. */
interface Session {
  readonly expiresAt: number
  flash?: Flash
}

const MAX_SESSIONS = 16
const MAX_BODY = 4096
/** The request header that carries a tab's session (never a cookie: cookies ignore ports). */
export const SESSION_HEADER = 'x-kith-session'

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const

export interface GuardianPageOptions {
  readonly db: GuardianStore
  readonly now: () => number
  /** host:port to listen on; 127.0.0.1 unless the friend says otherwise. */
  readonly listen: string
  /** On a busy port, try this many ports after it (a second guardian on one computer); 0: do not. */
  readonly nextPorts?: number
  /** This run's proof key (hex; web.json holds it): `/proof` answers challenges with it. */
  readonly proofKey: string
  readonly peerId: string
  /** The daemon's addresses now, for "how friends reach it". */
  readonly addrs: () => readonly string[]
  /** Prometheus text for /metrics (refreshed before each scrape). */
  readonly metrics?: () => Promise<{ contentType: string; text: string }>
  /** A line for the daemon's output: what was decided here (never a code or a token). */
  readonly onEvent?: (line: string) => void
  /** The guardian's data directory, for the commands the page names (advice.ts). */
  readonly dataDir?: string
  /** The kith release files kept for friends: listed on the overview, downloaded with a session. */
  readonly releaseFiles?: ReleaseFiles
}

const _same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** host:port split; a bare port means 127.0.0.1. */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  const [host, port] = i >= 0 ? [listen.slice(0, i), listen.slice(i + 1)] : ['127.0.0.1', listen]
  return { host: host.replace(/^\[|\]$/g, ''), port: Number(port) }
}

function _listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(err)
    server.once('error', failed)
    server.listen(port, host, () => {
      server.off('error', failed)
      resolve()
    })
  })
}

export class GuardianPage {
  private readonly sessions = new Map<string, Session>()
  private server: Server | undefined
  private port = 0

  constructor(private readonly o: GuardianPageOptions) {}

  /** Listen (on the next free port, if allowed); resolves with the page's base URL (http://host:port). */
  async start(): Promise<string> {
    const { host, port } = splitListen(this.o.listen)
    const server = createServer((req, res) => {
      this._handle(req, res).catch((err: unknown) => {
        this.o.onEvent?.(
          `local page error: ${cleanText(err instanceof Error ? err.message : String(err), 200)}`,
        )
        if (!res.headersSent) res.writeHead(500, { ...HEADERS, 'content-type': 'text/plain' })
        res.end('Something went wrong here; the guardian keeps running.')
      })
    })
    server.headersTimeout = duration('pageHeaders')
    server.requestTimeout = duration('pageRequest')
    const tries = port === 0 ? 0 : (this.o.nextPorts ?? 0)
    for (let i = 0; ; i++) {
      try {
        await _listen(server, port + i, host)
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i >= tries || port + i >= 65535) throw err
      }
    }
    this.server = server
    this.port = (server.address() as AddressInfo).port
    if (this.port !== port && port !== 0)
      this.o.onEvent?.(`local page: port ${port} is taken by another program; serving on ${this.port}`)
    return this.url
  }

  get url(): string {
    const { host } = splitListen(this.o.listen)
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
    return `http://${shown.includes(':') ? `[${shown}]` : shown}:${this.port}`
  }

  close(): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s === undefined) return Promise.resolve()
    s.closeAllConnections()
    return new Promise((resolve) => s.close(() => resolve()))
  }

  private async _handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this._hostAllowed(req.headers.host)) return this._send(res, 421, 'text/plain', 'Misdirected request')
    const url = new URL(req.url ?? '/', 'http://local')
    const route = `${req.method ?? 'GET'} ${url.pathname}`
    const download = /^GET \/view\/release\/([0-9a-f]{64})$/.exec(route)?.[1]
    if (download !== undefined) return this._download(req, res, download)
    switch (route) {
      case 'GET /style.css':
        return this._send(res, 200, 'text/css; charset=utf-8', STYLE)
      case 'GET /icon.svg':
        return this._send(res, 200, 'image/svg+xml', ICON)
      case 'GET /app.js':
        return this._send(res, 200, 'text/javascript; charset=utf-8', SCRIPT)
      case 'GET /metrics': {
        if (this.o.metrics === undefined) break
        const m = await this.o.metrics()
        return this._send(res, 200, m.contentType, m.text)
      }
      case 'GET /proof': {
        const challenge = url.searchParams.get('challenge') ?? ''
        if (!/^[0-9a-f]{64}$/.test(challenge)) break
        return this._send(res, 200, 'text/plain', pageProof(this.o.proofKey, challenge))
      }
      case 'GET /':
      case 'GET /history':
      case 'GET /login':
        return this._send(res, 200, 'text/html; charset=utf-8', shellPage(this.o.dataDir))
      case 'GET /view/login':
        return this._send(res, 200, 'text/html; charset=utf-8', loginPage(undefined, this.o.dataDir))
      case 'GET /view/':
      case 'GET /view/history': {
        if (!this._sameOrigin(req)) return this._refuse(res)
        const s = this._session(req)
        if (s === undefined)
          return this._send(res, 401, 'text/html; charset=utf-8', loginPage(undefined, this.o.dataDir))
        return this._send(res, 200, 'text/html; charset=utf-8', await this._page(url, s))
      }
      case 'POST /session':
        return this._login(req, res)
      case 'POST /approve':
      case 'POST /deny':
      case 'POST /deny-waiting':
      case 'POST /keep':
      case 'POST /logout':
        return this._post(req, res, url.pathname)
    }
    this._send(res, 404, 'text/plain', 'Not found')
  }

  /** Loopback names, or an IP literal (a rebinding attack needs a name), on this server's port. */
  private _hostAllowed(host: string | undefined): boolean {
    const m = host === undefined ? null : /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/i.exec(host)
    if (m === null || Number(m[2]) !== this.port) return false
    const name = m[1]!.toLowerCase()
    return name === 'localhost' || name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name)
  }

  /** Not from another origin, as far as the browser says (a program that is not a browser says nothing). */
  private _sameOrigin(req: IncomingMessage): boolean {
    const site = req.headers['sec-fetch-site']
    const origin = req.headers.origin
    return (
      (site === undefined || site === 'same-origin') &&
      (origin === undefined || origin === `http://${req.headers.host}`)
    )
  }

  /** A kept release file, to a logged-in tab only (its session header, as every view). */
  private async _download(req: IncomingMessage, res: ServerResponse, sha256: string): Promise<void> {
    if (!this._sameOrigin(req) || this._session(req) === undefined) return this._refuse(res)
    const files = this.o.releaseFiles
    if (files === undefined || !(await sendReleaseFile(res, files, sha256, HEADERS)))
      this._send(res, 404, 'text/plain', 'Not found')
  }

  private async _page(url: URL, s: Session): Promise<string> {
    const now = this.o.now()
    if (url.pathname === '/view/history') {
      const before = Number(url.searchParams.get('before'))
      return historyPage(
        historyLines(this.o.db, 100, Number.isSafeInteger(before) && before > 0 ? before : undefined),
      )
    }
    const flash = s.flash
    delete s.flash
    return overviewPage({
      flash,
      requests: requestViews(this.o.db, now),
      vaults: vaultViews(this.o.db, now),
      reach: reachWords(this.o.addrs(), this.o.dataDir),
      peerId: this.o.peerId,
      releases: this.o.releaseFiles ? await releaseViews(this.o.releaseFiles, this.o.db) : [],
      ...(this.o.dataDir !== undefined ? { dir: this.o.dataDir } : {}),
    })
  }

  /** A one-time token for a session: the answer is the session (JSON), which the script keeps. */
  private async _login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = this.o.now()
    const form = this._sameOrigin(req) ? await this._form(req) : undefined
    if (form === undefined || !this.o.db.logins.consume(form.get('token') ?? '', now))
      return this._send(
        res,
        403,
        'text/html; charset=utf-8',
        loginPage(
          `This link was used already, or is too old. Run ${GUARDIAN_ADVICE.open.command(this.o.dataDir)} again.`,
          this.o.dataDir,
        ),
      )
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id)
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!)
    const id = randomBytes(32).toString('base64url')
    this.sessions.set(id, { expiresAt: now + duration('pageSession') })
    this.o.onEvent?.('local page: logged in with a one-time link')
    this._send(res, 200, 'application/json', JSON.stringify({ session: id }))
  }

  private _session(req: IncomingMessage): Session | undefined {
    const id = req.headers[SESSION_HEADER]
    if (typeof id !== 'string') return undefined
    for (const [known, s] of this.sessions)
      if (_same(known, id)) return s.expiresAt < this.o.now() ? undefined : s
    return undefined
  }

  private async _post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const s = this._sameOrigin(req) ? this._session(req) : undefined
    const form = s === undefined ? undefined : await this._form(req)
    if (s === undefined || form === undefined) return this._refuse(res)
    if (path === '/logout') {
      for (const [id, known] of this.sessions) if (known === s) this.sessions.delete(id)
      return this._send(
        res,
        200,
        'text/html; charset=utf-8',
        loginPage('You are logged out.', this.o.dataDir),
      )
    }
    s.flash = this._decide(path, form)
    this._send(res, 200, 'text/html; charset=utf-8', await this._page(new URL('http://local/view/'), s))
  }

  private _refuse(res: ServerResponse): void {
    this._send(
      res,
      403,
      'text/html; charset=utf-8',
      loginPage('That did not come from this page. Nothing changed.', this.o.dataDir),
    )
  }

  /** Carry out one decision; what the human is told. */
  private _decide(path: string, form: URLSearchParams): Flash {
    const now = this.o.now()
    const request = form.get('request') ?? ''
    try {
      if (path === '/approve') {
        // a card of several waiting requests names none: the code finds the friend's
        const r = approveRequest(this.o.db, request || undefined, normalizeCode(form.get('code') ?? ''), {
          now,
        })
        const label = this.o.db.vaults.get(r.vaultId)?.label ?? '?'
        this.o.onEvent?.(`APPROVED on the local page: the recovery of "${label}"`)
        const wait = (r.releaseAt ?? 0) - now
        return {
          kind: 'ok',
          text:
            wait > 0
              ? `Approved. Your share for “${label}” is released when the countdown ends; until then the owner can still veto it.`
              : `Approved. Your share for “${label}” goes to your friend's recovery the next time it asks.`,
        }
      }
      if (path === '/deny') {
        denyRequest(this.o.db, request, now)
        this.o.onEvent?.('DENIED on the local page: a recovery request')
        return {
          kind: 'ok',
          text: 'Denied. Nothing was released. Tell your friend, on a number you know, that someone asked.',
        }
      }
      const vault = this.o.db.vaults
        .all()
        .find((v) => Buffer.from(v.vaultId).toString('hex') === form.get('vault'))
      if (path === '/deny-waiting') {
        const denied = vault === undefined ? [] : denyWaiting(this.o.db, [vault.vaultId], now)
        this.o.onEvent?.(`DENIED on the local page: ${denied.length} waiting recovery request(s)`)
        return denied.length === 0
          ? { kind: 'error', text: 'No request was waiting any more. Nothing changed.' }
          : {
              kind: 'ok',
              text: `Denied all ${denied.length}. Nothing was released. Tell your friend, on a number you know, that someone asked.`,
            }
      }
      if (vault === undefined || vault.removal === null || !this.o.db.vaults.keep(vault.vaultId, now))
        return { kind: 'error', text: 'That backup is not waiting to be deleted (kept already, or gone).' }
      this.o.onEvent?.(`KEPT on the local page: vault "${vault.label}" will not be deleted`)
      return {
        kind: 'ok',
        text: `Kept: “${vault.label}” stays here. Call your friend and ask what happened.`,
      }
    } catch (err) {
      if (err instanceof KithError) return { kind: 'error', text: _plain(err) }
      throw err
    }
  }

  private async _form(req: IncomingMessage): Promise<URLSearchParams | undefined> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined
    let size = 0
    const parts: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_BODY) return undefined
      parts.push(chunk)
    }
    return new URLSearchParams(Buffer.concat(parts).toString('utf8'))
  }

  private _send(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { ...HEADERS, 'content-type': type })
    res.end(body)
  }
}

/** A kith error in the page's words: the CLI's message, without the command-line advice. */
function _plain(err: KithError): string {
  switch (err.code) {
    case 'WRONG_CODE':
      return err.facts['locked'] === true
        ? 'That code is wrong, too many times: the request is now locked and can never be approved. If it was your friend, they start their recovery again.'
        : 'That code is not right, so nothing was approved. Call your friend back on a number you know and ask them to read it again.'
    case 'UNKNOWN_REQUEST':
      return 'That request is not here any more.'
    default:
      return cleanText(err.message, 300)
  }
}
