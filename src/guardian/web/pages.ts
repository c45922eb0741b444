/**
 * The guardian's local page, as HTML: plain words for a friend who is not a developer, raw ids only
 * under "Technical details". Every value goes through the escaping template (html.ts). The forms are
 * sent by the page's script, with the tab's session header (server.ts): a form posted any other way is
 * refused. No external asset: one style sheet and one script, both served here.
 */
import { spellDuration } from '../../format.js'
import { duration } from '../../time/durations.js'
import { MINUTE } from '../../time/units.js'
import { GUARDIAN_ADVICE as ADVICE } from '../advice.js'
import { type Html, html } from './html.js'
import { type ReleaseView, releaseSection } from './release-files.js'
import type { HistoryLine, RequestView, VaultView } from './view.js'

export interface Flash {
  readonly kind: 'ok' | 'error'
  readonly text: string
}

const _ago = (ms: number) => (ms < MINUTE ? 'just now' : `${spellDuration(ms)} ago`)
/** A moment in this computer's own time, with its zone: the friend reads the page on this computer. */
const _stamp = (ms: number) => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`
}

function layout(
  title: string,
  body: Html,
  options: { session?: boolean; refresh?: boolean; flash?: Flash | undefined } = {},
): string {
  const nav = options.session
    ? html`<nav><a href="/">Overview</a><a href="/history">History</a>
        <form class="inline" method="post" action="/logout"><button>Log out</button></form></nav>`
    : html``
  const flash = options.flash
    ? html`<p class="flash ${options.flash.kind}" role="status">${options.flash.text}</p>`
    : html``
  // the page's script reloads it by these (ms): now and then, and once a countdown ends
  const refresh = options.refresh ? duration('pageRefresh') : 0
  const settle = duration('countdownReload')
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · kith guardian</title>
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="/icon.svg" type="image/svg+xml">
<script src="/app.js" defer></script>
</head><body data-refresh="${refresh}" data-settle="${settle}">
<header><h1>kith guardian</h1>${nav}</header>
<main>${flash}${body}</main>
</body></html>
`.text
}

const _hidden = (fields: Record<string, string>) =>
  Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)

function requestCard(r: RequestView): Html {
  const tech = html`<details><summary>Technical details</summary>
    <p class="muted">Request <code>${r.id}</code>${r.fromIp ? html`, from address <code>${r.fromIp}</code>` : ''}</p></details>`
  const deny = (words: string) =>
    html`<form method="post" action="/deny">${_hidden({ request: r.id })}<button class="deny">${words}</button></form>`
  switch (r.state) {
    case 'pending':
      return html`<section class="card urgent" data-request="${r.id}">
  <h3>Someone is recovering “${r.label}”</h3>
  <p>They asked ${_ago(r.ageMs)}. If nobody answers, the request ends in ${spellDuration(r.expiresInMs)}.</p>
  <p><strong>Before you approve:</strong> call your friend on a phone number you already know (not one from
  a message). Their recovery shows them a six-digit code for you. Ask them to read it to you and type it
  here. If you cannot reach them, or did not expect this, deny it.</p>
  <form method="post" action="/approve">${_hidden({ request: r.id })}
    <label for="code-${r.id}">The code your friend reads to you</label>
    <input type="text" id="code-${r.id}" name="code" inputmode="numeric" autocomplete="off" spellcheck="false"
      placeholder="123-456" maxlength="11" required>
    <button class="primary">Approve</button>
  </form>
  ${r.wrongCodes > 0 ? html`<p class="warn">${r.wrongCodes === 1 ? 'One wrong code' : `${r.wrongCodes} wrong codes`} typed so far. After ${r.triesLeft} more, the request is locked.</p>` : ''}
  ${deny('I did not expect this: deny')}
  ${tech}
</section>`
    case 'approved':
      return html`<section class="card" data-request="${r.id}">
  <h3>You approved the recovery of “${r.label}”</h3>
  ${
    (r.releaseInMs ?? 0) > 0
      ? html`<p>Your share is released in <strong data-left="${r.releaseInMs ?? 0}">${spellDuration(r.releaseInMs ?? 0)}</strong>,
    when your friend's recovery asks again. Until then the owner can still veto it, and you can still deny it.</p>`
      : html`<p>Your share goes to your friend's recovery the next time it asks (within seconds if it is running).</p>`
  }
  ${deny('Changed your mind? Deny')}
  ${tech}
</section>`
    case 'locked':
      return html`<section class="card danger" data-request="${r.id}"><h3>A recovery of “${r.label}” was locked</h3>
  <p>Too many wrong codes were typed. Nothing was released, and this request can never be approved.
  If it was your friend, they start their recovery again. If not, tell them someone tried.</p>${tech}</section>`
    case 'vetoed':
      return html`<section class="card danger" data-request="${r.id}"><h3>The owner of “${r.label}” vetoed a recovery</h3>
  <p>The vault's owner said this recovery is not theirs. Nothing was released. Call them on a number you
  know before doing anything else.</p>${tech}</section>`
    case 'finished':
      return html`<section class="card" data-request="${r.id}"><h3>“${r.label}” is recovered</h3>
  ${
    r.released
      ? html`<p>Your friend finished this recovery with your share: they have their node back. Nothing for you to do.</p>`
      : html`<p>This recovery finished with other friends' approvals: whoever asked has the node back. If your
  friend told you they were recovering, there is nothing for you to do. If you did not hear from them, call them.</p>`
  }<p class="muted">They asked ${_ago(r.ageMs)}.</p>${tech}</section>`
    default: {
      const words: Record<string, string> = {
        released: 'Your share went to the recovery you approved.',
        denied: 'You denied it. Nothing was released.',
        expired: 'It ran out unanswered. Nothing was released.',
        superseded: 'A newer request replaced it. Nothing was released.',
      }
      return html`<section class="card" data-request="${r.id}"><h3>A recovery of “${r.label}”, ${_ago(r.ageMs)}</h3>
  <p class="muted">${words[r.state] ?? r.state}</p>${tech}</section>`
    }
  }
}

/**
 * Several requests waiting for one vault (someone besides the friend is asking): one card, one code box
 * (the code finds the friend's request), and one button that denies every one still waiting.
 */
function manyCard(rs: readonly RequestView[]): Html {
  const first = rs[0]!
  const networks = new Set(rs.map((r) => r.network)).size
  return html`<section class="card urgent" data-waiting="${first.vault}">
  <h3>${rs.length} people are asking to recover “${first.label}”</h3>
  <p>They asked from ${networks === 1 ? 'one network' : `${networks} different networks`}. At most one of them
  is your friend: only your friend can read you the six-digit code of theirs.</p>
  <p><strong>Call your friend on a phone number you already know</strong> and type the code they read to
  you. If you cannot reach them, or they are not recovering, deny them all.</p>
  <form method="post" action="/approve">
    <label for="code-${first.vault}">The code your friend reads to you</label>
    <input type="text" id="code-${first.vault}" name="code" inputmode="numeric" autocomplete="off" spellcheck="false"
      placeholder="123-456" maxlength="11" required>
    <button class="primary">Approve</button>
  </form>
  <form method="post" action="/deny-waiting">${_hidden({ vault: first.vault })}<button class="deny">Deny all ${rs.length} waiting</button></form>
  <details><summary>Technical details</summary>${rs.map(
    (r) =>
      html`<p class="muted">Request <code>${r.id}</code>, ${_ago(r.ageMs)}, from network <code>${r.network}</code>${r.wrongCodes > 0 ? `, ${r.wrongCodes} wrong code(s)` : ''}</p>`,
  )}</details>
</section>`
}

function vaultCard(v: VaultView): Html {
  const removal = v.removal
    ? v.removal.kept
      ? html`<p class="muted">The owner dropped you from this vault's guardians, and you kept the data. Nothing will be deleted.</p>`
      : html`<p class="bad">The owner dropped you from this vault's guardians. Its data is deleted in
  <span data-left="${Math.max(0, v.removal.inMs)}">${spellDuration(v.removal.inMs)}</span> unless you keep it.
  If you did not expect this, call your friend first.</p>
  <form method="post" action="/keep">${_hidden({ vault: v.id })}<button>Keep the data</button></form>`
    : ''
  return html`<section class="card${v.equivocation || (v.removal && !v.removal.kept) ? ' danger' : ''}" data-vault="${v.id}">
  <h3>“${v.label}”</h3>
  <p>${v.size} of ${v.quota} used${v.full >= 0.9 ? html` <span class="warn">(nearly full)</span>` : ''}.
  Newest backup: version ${v.version}. Last heard from ${_ago(v.lastContactAgoMs)}.</p>
  <p class="muted">When you approve a recovery, your share is released ${v.releaseDelay === 'at once' ? 'at once' : `${v.releaseDelay} later`}.</p>
  ${v.equivocation ? html`<p class="bad">Warning: this guardian received two different backups with the same number. Two copies of your friend's node may be running. Tell them to stop all but one NOW.</p>` : ''}
  ${removal}
  <details><summary>Technical details</summary><p class="muted"><code>${v.vault}</code></p></details>
</section>`
}

/** The open requests: each on its own card, except several waiting for one vault, which share one. */
function openCards(open: readonly RequestView[]): Html[] {
  const waiting = new Map<string, RequestView[]>()
  for (const r of open) if (r.state === 'pending') waiting.set(r.vault, [...(waiting.get(r.vault) ?? []), r])
  const shown = new Set<string>()
  const cards: Html[] = []
  for (const r of open) {
    const group = r.state === 'pending' ? waiting.get(r.vault)! : [r]
    if (group.length === 1) cards.push(requestCard(r))
    else if (!shown.has(r.vault)) {
      shown.add(r.vault)
      cards.push(manyCard(group))
    }
  }
  return cards
}

export function overviewPage(m: {
  flash?: Flash | undefined
  requests: readonly RequestView[]
  vaults: readonly VaultView[]
  reach: { readonly words: readonly string[]; readonly addrs: readonly string[] }
  peerId: string
  /** The kith release files kept here for friends' recoveries. */
  releases?: readonly ReleaseView[]
  /** The guardian's data directory, for the commands the page names. */
  dir?: string
}): string {
  const open = m.requests.filter((r) => r.state === 'pending' || r.state === 'approved')
  const closed = m.requests.filter((r) => r.state !== 'pending' && r.state !== 'approved')
  const body = html`
<h2>Recovery requests</h2>
${open.length === 0 ? html`<p class="muted">Nobody is asking for a recovery. When someone does, it shows here.</p>` : openCards(open)}
${closed.map((r) => requestCard(r))}
<h2>Backups you keep for friends</h2>
${m.vaults.length === 0 ? html`<p class="muted">None yet. Make an invite with <code>${ADVICE.invite.command(m.dir)}</code> and send it to your friend.</p>` : m.vaults.map((v) => vaultCard(v))}
<h2>This guardian</h2>
<section class="card">${m.reach.words.map((line) => html`<p>${line}</p>`)}
<details><summary>Technical details</summary><p class="muted">Peer ID <code>${m.peerId}</code></p>
${m.reach.addrs.map((a) => html`<p class="muted"><code>${a}</code></p>`)}</details></section>
${releaseSection(m.releases ?? [])}
`
  return layout('Overview', body, { session: true, refresh: true, flash: m.flash })
}

export function historyPage(m: { lines: readonly HistoryLine[]; older: number | null }): string {
  const body = html`
<h2>History</h2>
<p class="muted">Everything that happened here, newest first, in this computer's time.</p>
<table><thead><tr><th>When</th><th>Backup</th><th>What happened</th></tr></thead><tbody>
${m.lines.map((l) => html`<tr><td>${_stamp(l.at)}</td><td>${l.label}</td><td${l.alarm ? html` class="warn"` : ''}>${l.words}</td></tr>`)}
</tbody></table>
${m.lines.length === 0 ? html`<p class="muted">Nothing yet.</p>` : ''}
${m.older !== null ? html`<p><a href="/history?before=${m.older}">Older</a></p>` : ''}
`
  return layout('History', body, { session: true })
}

/** Shown to a browser without a session: how to get one, never a way to guess one. */
export function loginPage(problem?: string, dir?: string): string {
  return layout(
    'Log in',
    html`<h2>Open your guardian's page</h2>
${problem ? html`<p class="flash error">${problem}</p>` : ''}
<p>For your safety, this page opens only from a link made on this computer. In a terminal, run:</p>
<p><code>${ADVICE.open.command(dir)}</code></p>
<p>and open the link it prints. Each link works once, for 10 minutes.</p>`,
  )
}

/**
 * What a navigation gets (`/`, `/history`, `/login`): no data, only the script, which finds the tab's
 * session (or takes the link's one-time token from the URL's fragment) and asks for the view itself.
 */
export function shellPage(dir?: string): string {
  return layout(
    'Opening',
    html`<p class="muted" data-opening>Opening your guardian's page…</p>
<noscript><h2>Open your guardian's page</h2>
<p>This page needs JavaScript, which it uses to keep your login to this browser tab. You can decide
from a terminal instead: <code>${ADVICE.requests.command(dir)}</code>, then <code>${ADVICE.approve.command(dir)}</code>
or <code>${ADVICE.deny.command(dir)}</code>. To open this page, run <code>${ADVICE.open.command(dir)}</code>.</p></noscript>`,
  )
}
