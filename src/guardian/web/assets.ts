/**
 * The page's only style sheet and script, served from the guardian itself (the content security policy
 * allows nothing else). The script holds the tab's login: it takes the one-time token from a login
 * link's fragment, trades it for a session (POST /session), keeps that in sessionStorage (this origin and
 * this tab only), and fetches every view and sends every form with it in the `x-kith-session` header.
 * It also counts down release times and refreshes the view now and then, unless the human is typing a
 * code; how often, and how long after a countdown ends, the page says in its body's data-refresh and
 * data-settle (ms, from the table of durations when it was rendered).
 */

export const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6474; --bg: #f6f7f9; --card: #fff;
  --line: #d9dde4; --accent: #1f6feb; --ok: #1a7f37; --warn: #9a6700; --bad: #c0262d; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #a3acba; --bg: #14171c;
  --card: #1d2128; --line: #343a45; --accent: #5a9bff; --ok: #4ac26b; --warn: #d4a72c; --bad: #ff6b6b; } }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.15rem; margin: 0; }
nav a { margin-right: 1rem; color: var(--accent); }
main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.2rem 3rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.2rem;
  margin: .8rem 0; }
.card h3 { margin: 0 0 .4rem; font-size: 1.05rem; }
.urgent { border: 2px solid var(--accent); }
.danger { border: 2px solid var(--bad); }
.muted { color: var(--muted); font-size: .93rem; }
.flash { padding: .8rem 1rem; border-radius: 8px; margin: 1rem 0; border: 1px solid var(--line); }
.flash.ok { border-color: var(--ok); color: var(--ok); }
.flash.error { border-color: var(--bad); color: var(--bad); }
.warn { color: var(--warn); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
form.inline { display: inline; }
label { display: block; font-weight: 600; margin: .8rem 0 .3rem; }
input[type=text] { font: 1.4rem/1.2 ui-monospace, monospace; letter-spacing: .12em; padding: .45rem .6rem;
  width: 9.5em; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { font: inherit; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--line);
  background: var(--card); color: var(--fg); cursor: pointer; margin: .4rem .4rem 0 0; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.deny { border-color: var(--bad); color: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
details { margin-top: .6rem; }
summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
code { font-family: ui-monospace, monospace; font-size: .88rem; word-break: break-all; }
`

export const SCRIPT = `'use strict'
const KEY = 'kith-session'
const session = () => sessionStorage.getItem(KEY) ?? ''
const spell = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000))
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60)
  if (d > 0) return d + ' d ' + h + ' h'
  if (h > 0) return h + ' h ' + m + ' min'
  if (m > 0) return m + ' min ' + (s % 60) + ' s'
  return (s % 60) + ' s'
}
let shown = performance.now()
let settling = false
const view = () => (location.pathname === '/history' ? '/view/history' + location.search : '/view/')
// a response from the server becomes the page (its markup was escaped there; scripts in it never run)
const render = async (res) => {
  if (res.status === 401) sessionStorage.removeItem(KEY)
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html')
  document.title = doc.title
  document.body.replaceWith(document.adoptNode(doc.body))
  shown = performance.now()
  settling = false
  tick()
}
let loading = false
// the daemon stopped, or restarted (which logs out): say so, and try again at the next refresh
const unreachable = () => {
  shown = performance.now()
  let p = document.querySelector('[data-opening]')
  if (p === null) {
    p = document.createElement('p')
    p.className = 'flash error'
    p.dataset.opening = ''
    document.querySelector('main')?.prepend(p)
  }
  p.textContent = 'Your guardian does not answer. Is kith guardian start still running?'
}
const show = async () => {
  if (loading) return
  loading = true
  try {
    // without a session, how to log in (no request that can only be refused)
    const path = session() === '' ? '/view/login' : view()
    await render(await fetch(path, { headers: { 'x-kith-session': session() } }))
  } catch {
    unreachable()
  } finally {
    loading = false
  }
}
const start = async () => {
  const m = /^#token=([A-Za-z0-9_-]{43})$/.exec(location.hash)
  if (location.pathname === '/login' || m) history.replaceState(null, '', '/')
  if (m) {
    const res = await fetch('/session', { method: 'POST', body: new URLSearchParams({ token: m[1] }) }).catch(() => undefined)
    if (res === undefined) return unreachable()
    if (!res.ok) return render(res)
    sessionStorage.setItem(KEY, (await res.json()).session)
  }
  await show()
}
// a kept kith file: fetched with the session (a plain link carries none), then saved under its name;
// its object URL is let go at the next download (the browser may still be reading it a while)
let saved = ''
const download = async (a) => {
  const res = await fetch(a.getAttribute('href'), { headers: { 'x-kith-session': session() } }).catch(() => undefined)
  if (res === undefined) return unreachable()
  if (!res.ok) return render(res)
  if (saved !== '') URL.revokeObjectURL(saved)
  const url = URL.createObjectURL(await res.blob())
  saved = url
  const save = document.createElement('a')
  save.href = url
  save.download = a.dataset.download
  document.body.append(save)
  save.click()
  save.remove()
}
document.addEventListener('click', (e) => {
  const d = e.target instanceof Element ? e.target.closest('a[data-download]') : null
  if (d === null || e.button !== 0) return
  e.preventDefault()
  e.stopImmediatePropagation()
  void download(d)
})
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href^="/"]:not([data-download])') : null
  if (a === null || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return
  e.preventDefault()
  history.pushState(null, '', a.getAttribute('href'))
  void show()
})
window.addEventListener('popstate', () => void show())
document.addEventListener('submit', async (e) => {
  const form = e.target
  e.preventDefault()
  const action = form.getAttribute('action')
  const res = await fetch(action, {
    method: 'POST',
    headers: { 'x-kith-session': session() },
    body: new URLSearchParams(new FormData(form)),
  }).catch(() => undefined)
  if (res === undefined) return unreachable()
  if (action === '/logout') sessionStorage.removeItem(KEY)
  if (location.pathname !== '/') history.pushState(null, '', '/')
  await render(res)
})
const typing = () => [...document.querySelectorAll('input[type=text]')].some((i) => i.value !== '' || i === document.activeElement)
const tick = () => {
  const passed = performance.now() - shown
  for (const el of document.querySelectorAll('[data-left]')) {
    const left = Number(el.dataset.left) - passed
    el.textContent = spell(left)
    if (left <= 0 && !settling) { settling = true; setTimeout(() => void show(), Number(document.body.dataset.settle)) }
  }
  const refresh = Number(document.body.dataset.refresh)
  if (refresh > 0 && passed >= refresh && !typing()) void show()
}
// the countdowns show whole seconds: redrawn each one (a display, not a wait)
const second = 1000
setInterval(tick, second)
void start()
`

/** A small key on a shield, drawn here: browsers ask for an icon, and nothing is fetched elsewhere. */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#1f6feb"/><circle cx="16" cy="13" r="4" fill="#fff"/><path d="M15 16h2v9h-2zm2 5h3v2h-3z" fill="#fff"/></svg>`
