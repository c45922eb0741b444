/**
 * Every command a guardian advises (src/guardian/advice.ts, one table) works in the state it is printed
 * in: for each entry, a real guardian is put in that state (real files, real libp2p on 127.0.0.1, a
 * daemon spawned from dist/ where the advice is to start one, so run `npm run build` first), the line,
 * error, status or page is checked to carry the table's command, and then that very command runs (its
 * `<holes>` filled as the friend would) and its effect is checked. The last test checks no entry was left
 * out. A systemd or Docker restart cannot run here: that its unit is kith's own is checked instead; a
 * `sudo -u` runs as setpriv does it, where the test runs as root (else skipped, and said so).
 */
import type { ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { normalizeCode } from '../../src/ceremony/request.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { GUARDIAN_ADVICE as ADVICE, vaultWord } from '../../src/guardian/advice.js'
import { guardianPaths, readGuardianConfig } from '../../src/guardian/config.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { escapeHtml } from '../../src/guardian/web/html.js'
import { loginLink } from '../../src/guardian/web/login.js'
import { cli, RecoverRun, recoverArgs } from '../helpers/cli.js'
import { CLI } from '../helpers/daemons.js'
import { backedUpVault, LocalGuardian, localFleet } from '../helpers/local.js'
import { runTracked, signal, spawnTracked } from '../helpers/procs.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
const ran = new Set<keyof typeof ADVICE>()
/** Entries this run cannot put a guardian in the state of (another user's folder needs root). */
const skipped = new Set<keyof typeof ADVICE>()

/** A command line as a POSIX shell splits it: bare words, "double" and 'single' quotes (with '\''). */
function shellWords(line: string): string[] {
  const words: string[] = []
  for (const m of line.matchAll(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g))
    words.push(
      m[0].replace(/'([^']*)'|"([^"]*)"/g, (_, s: string | undefined, d: string | undefined) => s ?? d ?? ''),
    )
  return words
}

/** Run an advised `kith …` command in this process, as the friend would type it. */
async function run(command: string) {
  const words = shellWords(command)
  expect(words[0]).toBe('kith')
  expect(command).not.toMatch(/<[^>]*>/) // every hole filled
  return cli(...words.slice(1))
}

/** An advised `kith guardian start …`, spawned from dist/ as the friend's terminal would: its output. */
function spawnAdvised(command: string): { proc: ChildProcess; out: () => string } {
  const words = shellWords(command)
  expect(words.slice(0, 3)).toEqual(['kith', 'guardian', 'start'])
  let out = ''
  const proc = spawnTracked(process.execPath, [CLI, ...words.slice(1)])
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  return { proc, out: () => out }
}

/** The overview of a running guardian's page, logged in as `kith guardian open`'s link does. */
async function pageText(dir: string): Promise<string> {
  const { link } = await loginLink(dir, Date.now())
  const base = link.replace(/\/login#.*$/, '')
  const token = /#token=(.*)$/.exec(link)![1]!
  const s = (await (
    await fetch(`${base}/session`, { method: 'POST', body: new URLSearchParams({ token }) })
  ).json()) as {
    session: string
  }
  return (await fetch(`${base}/view/`, { headers: { 'x-kith-session': s.session } })).text()
}

const freePort = async (): Promise<number> => {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

describe('advice for a guardian of its own: made, started, reached', () => {
  let dir: string
  let relay: LocalGuardian
  let daemon: { proc: ChildProcess; out: () => string }

  beforeAll(async () => {
    vi.stubEnv('DISPLAY', '')
    vi.stubEnv('WAYLAND_DISPLAY', '')
    // a folder that is there and empty: no guardian lives in it yet
    dir = await fileTempDir('kith-advice-')
    // a guardian with a public address elsewhere: the relay a friend names
    relay = await LocalGuardian.create()
    fleet.guardians.push(relay)
    await relay.start()
  }, 30_000)

  afterAll(async () => {
    if (daemon !== undefined && daemon.proc.exitCode === null) {
      const exited = new Promise((r) => daemon.proc.once('exit', r))
      signal(daemon.proc, 'SIGTERM')
      await exited
    }
    vi.unstubAllEnvs()
  })

  it('init: no guardian in the folder yet (GUARDIAN_NOT_INITIALIZED)', async () => {
    const r = await cli('guardian', 'status', '--data-dir', dir)
    expect(r.stderr).toContain(`run '${ADVICE.init.command(dir)}' first [GUARDIAN_NOT_INITIALIZED]`)
    // as advised, on 127.0.0.1 alone: nothing outside this computer is part of the test
    const made = await run(`${ADVICE.init.command(dir)} --listen /ip4/127.0.0.1/tcp/0`)
    expect(made.code).toBe(0)
    expect((await cli('guardian', 'status', '--data-dir', dir)).code).toBe(0)
    ran.add('init')
  })

  it('settings: init again on a guardian that exists (GUARDIAN_DIR_IN_USE)', async () => {
    const again = await cli('guardian', 'init', '--relay', `${relay.addr}`, '--data-dir', dir)
    expect(again.stderr).toContain(`'${ADVICE.settings.command(dir)}' [GUARDIAN_DIR_IN_USE]`)
    const r = await run(ADVICE.settings.command(dir))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('relays      none')
    ran.add('settings')
  })

  it("start: a guardian that is not running (init's next step, GUARDIAN_DIR_IN_USE)", async () => {
    const again = await cli('guardian', 'init', '--data-dir', dir)
    expect(again.stderr).toContain(`start it with '${ADVICE.start.command(dir)}'`)
    daemon = spawnAdvised(ADVICE.start.command(dir))
    await waitUntil(() => /listening on/.test(daemon.out()), daemon.out)
    ran.add('start')
  })

  it('open: the page runs (status and start say how to log in)', async () => {
    expect(daemon.out()).toContain(`(to log in: ${ADVICE.open.command(dir)})`)
    const status = await cli('guardian', 'status', '--data-dir', dir)
    expect(status.stdout).toContain(`(to log in: ${ADVICE.open.command(dir)})`)
    const r = await run(ADVICE.open.command(dir))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+\/login#token=/)
    ran.add('open')
  })

  it('invite: nobody uses the guardian yet (the page; init said so too)', async () => {
    expect(await pageText(dir)).toContain(
      `Make an invite with <code>${escapeHtml(ADVICE.invite.command(dir))}</code>`,
    )
    const r = await run(ADVICE.invite.command(dir))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('kinvite1')
    ran.add('invite')
  })

  it('addRelay: friends elsewhere cannot reach it (status and the page)', async () => {
    const status = await cli('guardian', 'status', '--data-dir', dir)
    // it listens on 127.0.0.1 alone: said as the page says it
    expect(status.stdout).toContain(`only addresses of this computer`)
    expect(status.stdout).toContain(ADVICE.addRelay.command(dir))
    expect(await pageText(dir)).toContain(escapeHtml(ADVICE.addRelay.command(dir)))
    const r = await run(ADVICE.addRelay.command(dir, relay.addr))
    expect(r.code).toBe(0)
    expect((await readGuardianConfig(dir)).relays).toEqual([relay.addr])
    ran.add('addRelay')
  })

  it('restart: settings changed while it runs, started by hand', async () => {
    const r = await cli(
      'guardian',
      'settings',
      '--remove-relay',
      relay.addr,
      '--add-relay',
      relay.addr,
      '--data-dir',
      dir,
    )
    // the same relay taken out and put back: nothing changed, nothing to restart
    expect(r.stdout).toMatch(/^Nothing to change/)
    const changed = await cli('guardian', 'settings', '--upnp', '--data-dir', dir)
    expect(changed.stdout).toContain(
      `stop it (Ctrl-C where it runs) and start it again: ${ADVICE.restart.command(dir)}`,
    )
    await cli('guardian', 'settings', '--no-upnp', '--data-dir', dir)
    // Ctrl-C, then the command
    const exited = new Promise((r) => daemon.proc.once('exit', r))
    signal(daemon.proc, 'SIGINT')
    await exited
    daemon = spawnAdvised(ADVICE.restart.command(dir, { kind: 'foreground' }))
    await waitUntil(() => /listening on/.test(daemon.out()), daemon.out)
    // the relay added before is in force now: friends reach it through the relay, and nobody is told to add one
    await waitUntil(
      async () =>
        (await readFile(guardianPaths(dir).runtime, 'utf8').catch(() => '')).includes('/p2p-circuit'),
      daemon.out,
    )
    const status = await cli('guardian', 'status', '--data-dir', dir)
    expect(status.stdout).toContain('friends can reach it through a relay')
    expect(status.stdout).not.toContain('settings --add-relay')
    const page = await pageText(dir)
    expect(page).toContain('Friends can reach this guardian through a relay')
    expect(page).not.toContain('--add-relay')
    ran.add('restart')
  }, 60_000)

  it("restart under systemd names kith's own unit, as deploy/systemd ships it and guardian.md installs it", async () => {
    const unit = await readFile(
      join(import.meta.dirname, '..', '..', 'deploy', 'systemd', 'kith-guardian.service'),
      'utf8',
    )
    expect(unit).toContain('ExecStart=/usr/bin/env kith guardian start')
    expect(ADVICE.restart.command(undefined, { kind: 'user-unit', unit: 'kith-guardian' })).toBe(
      'systemctl --user restart kith-guardian',
    )
    const guide = await readFile(join(import.meta.dirname, '..', '..', 'docs', 'guardian.md'), 'utf8')
    expect(guide).toContain('~/.config/systemd/user/kith-guardian.service')
  })
})

describe('advice for a guardian that is stopped', () => {
  it('addAnnounce: no address to put in an invite (NO_INVITE_ADDRESS)', async () => {
    const dir = join(await fileTempDir('kith-advice-'), 'g')
    await initGuardian(dir, { listen: ['/ip4/0.0.0.0/tcp/4646'] })
    const r = await cli('guardian', 'invite', '--data-dir', dir)
    expect(r.stderr).toContain(`'${ADVICE.addAnnounce.command(dir)}'`)
    expect(r.stderr).toContain(`('${ADVICE.start.command(dir)}')`)
    expect((await run(ADVICE.addAnnounce.command(dir, '/dns4/home.example.net/tcp/4646'))).code).toBe(0)
    const invite = await cli('guardian', 'invite', '--data-dir', dir)
    expect(invite.code).toBe(0)
    expect(invite.stdout).toContain('kinvite1')
    ran.add('addAnnounce')
  })

  it("settingsAs: a change asked as root of another user's guardian (NOT_GUARDIAN_USER)", async (ctx) => {
    // only root can give a folder to another user and run kith as that user, as sudo -u does
    if (process.getuid?.() !== 0 || (await runTracked('setpriv', ['--help'])).code !== 0) {
      skipped.add('settingsAs')
      return ctx.skip()
    }
    // in /tmp itself: the test run's temporary folder is root's alone, all the way up
    const top = await mkdtemp('/tmp/kith-other-user-')
    onTestFinished(() => rm(top, { recursive: true, force: true }))
    await chmod(top, 0o711)
    const dir = join(top, 'guardian')
    await initGuardian(dir, { listen: ['/ip4/0.0.0.0/tcp/4646'] })
    expect((await runTracked('chown', ['-R', '65534:65534', dir])).code).toBe(0)
    const refused = await cli('guardian', 'settings', '--port', '4700', '--data-dir', dir)
    const advised = ADVICE.settingsAs.command(dir, 'nobody')
    expect(refused.stderr).toContain(`'${advised}' [NOT_GUARDIAN_USER]`)
    // sudo -u nobody, as setpriv does it, with the options the friend gave
    const words = shellWords(advised.replace('<the same options>', '--port 4700'))
    expect(words.slice(0, 4)).toEqual(['sudo', '-u', 'nobody', 'kith'])
    const r = await runTracked(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...words.slice(4)],
      { env: { ...process.env, HOME: dir } },
    )
    expect(r.code).toBe(0)
    expect((await readGuardianConfig(dir)).listen).toEqual(['/ip4/0.0.0.0/tcp/4700'])
    // still the guardian's user's, whom its daemon runs as
    expect((await stat(guardianPaths(dir).config)).uid).toBe(65534)
    ran.add('settingsAs')
  })

  it('port: another program has its port (ADDRESS_IN_USE)', async () => {
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    const taken = (busy.address() as { port: number }).port
    const g = await LocalGuardian.create()
    fleet.guardians.push(g)
    try {
      await cli(
        'guardian',
        'settings',
        '--remove-listen',
        '/ip4/127.0.0.1/tcp/0',
        '--add-listen',
        `/ip4/127.0.0.1/tcp/${taken}`,
        '--data-dir',
        g.dir,
      )
      const refused = await g.start().then(
        () => undefined,
        (err: Error) => err,
      )
      expect(refused?.message).toContain(`'${ADVICE.port.command(g.dir)}'`)
      expect((await run(ADVICE.port.command(g.dir, String(await freePort())))).code).toBe(0)
      await g.start()
      expect(g.addr).not.toContain(`/tcp/${taken}/`)
    } finally {
      busy.close()
    }
    ran.add('port')
  })
})

describe("advice about a friend's node: recovery requests and removal", () => {
  let made: Awaited<ReturnType<typeof backedUpVault>>
  let first: RecoverRun
  let second: RecoverRun
  const requestsAt = async (g: LocalGuardian) =>
    JSON.parse((await cli('guardian', 'requests', '--all', '--json', '--data-dir', g.dir)).stdout)
      .requests as {
      request: string
      state: string
    }[]

  beforeAll(async () => {
    made = await backedUpVault(3, 2, 2, fleet)
    // two recoveries at once from this computer: each guardian holds two requests for the vault
    first = new RecoverRun(...recoverArgs(made.vault, made.gs, join(made.work, 'out-1')))
    second = new RecoverRun(...recoverArgs(made.vault, made.gs, join(made.work, 'out-2')))
    for (const g of made.gs) await waitUntil(async () => (await requestsAt(g)).length === 2)
  }, 60_000)

  afterAll(async () => {
    // what they end with is not this file's matter: their requests run out, as they would unanswered
    for (const g of made.gs) g.guardian.db.requests.expire(Date.now() + 365 * 86_400_000)
    await Promise.all([first.done, second.done])
  }, 60_000)

  it('approve: a recovery request waits (the RECOVERY REQUEST line)', async () => {
    const g = made.gs[2]!
    expect(
      g.lines.some((l) => l.startsWith('RECOVERY REQUEST') && l.endsWith(ADVICE.approve.command(g.dir))),
    ).toBe(true)
    const { request, code } = await first.codeFor(g.peerId)
    expect((await run(ADVICE.approve.command(g.dir, code))).code).toBe(0)
    expect(['approved', 'released']).toContain(
      (await requestsAt(g)).find((r) => r.request === request)?.state,
    )
    ran.add('approve')
  })

  it('requests: a request that is not there (UNKNOWN_REQUEST)', async () => {
    const g = made.gs[2]!
    const r = await cli('guardian', 'deny', 'ffff', '--data-dir', g.dir)
    expect(r.stderr).toContain(`'${ADVICE.requests.command(undefined)}' lists them [UNKNOWN_REQUEST]`)
    // it answers the friend's own command: they give it the same folder as theirs
    const listed = await run(`${ADVICE.requests.command(undefined)} --data-dir ${g.dir}`)
    expect(listed.stdout).toContain((await second.codeFor(g.peerId)).request)
    ran.add('requests')
  })

  it('denyAll: several requests wait for one vault (kith guardian requests)', async () => {
    const g = made.gs[0]!
    const listed = await cli('guardian', 'requests', '--data-dir', g.dir)
    expect(listed.stdout).toContain(`all still waiting: ${ADVICE.denyAll.command(g.dir)}`)
    expect(listed.stdout).toContain(ADVICE.deny.command(g.dir))
    expect((await run(ADVICE.denyAll.command(g.dir))).code).toBe(0)
    expect((await requestsAt(g)).map((r) => r.state)).toEqual(['denied', 'denied'])
    ran.add('denyAll')
  })

  it('approveRequest: two waiting requests have the code typed (AMBIGUOUS_CODE)', async () => {
    const g = made.gs[1]!
    const mine = await first.codeFor(g.peerId)
    // a one-in-a-million coincidence, made here: the other request gets the same code
    const db = new Database(guardianPaths(g.dir).db)
    db.prepare('UPDATE recovery_requests SET code = ?').run(normalizeCode(mine.code))
    db.close()
    const r = await cli('guardian', 'approve', '--code', mine.code, '--data-dir', g.dir)
    expect(r.stderr).toContain(`${ADVICE.approveRequest.command(undefined)} (`)
    const approved = await run(
      `${ADVICE.approveRequest.command(undefined, mine.request, mine.code)} --data-dir ${g.dir}`,
    )
    expect(approved.code).toBe(0)
    expect(['approved', 'released']).toContain(
      (await requestsAt(g)).find((x) => x.request === mine.request)?.state,
    )
    ran.add('approveRequest')
  })

  it('deny: one request waits (kith guardian requests)', async () => {
    const g = made.gs[1]!
    const other = (await requestsAt(g)).find((r) => r.state === 'pending')!
    const listed = await cli('guardian', 'requests', '--data-dir', g.dir)
    expect(listed.stdout).toContain(
      `If you did not expect this: ${ADVICE.deny.command(g.dir, other.request)}`,
    )
    expect((await run(ADVICE.deny.command(g.dir, other.request))).code).toBe(0)
    expect((await requestsAt(g)).find((r) => r.request === other.request)?.state).toBe('denied')
    ran.add('deny')
  })

  it('keep: a new roster drops this guardian (REMOVAL: its line and status)', async () => {
    const [, , g] = made.gs as [LocalGuardian, LocalGuardian, LocalGuardian]
    expect((await cli(...made.v('remove-guardian', g.peerId))).code).toBe(0)
    const label = g.guardian.db.vaults.all()[0]!.label
    await waitUntil(() => g.lines.some((l) => l.startsWith('REMOVAL')))
    const line = g.lines.find((l) => l.startsWith('REMOVAL'))!
    expect(line).toContain(`keep it: ${ADVICE.keep.command(g.dir, label)}`)
    const status = await cli('guardian', 'status', '--data-dir', g.dir)
    expect(status.stdout).toContain(`unless you run: ${ADVICE.keep.command(g.dir, label)}`)
    expect((await run(ADVICE.keep.command(g.dir, label))).code).toBe(0)
    const after = await cli('guardian', 'status', '--data-dir', g.dir)
    expect(after.stdout).not.toContain('!! REMOVAL')
    expect(after.stdout).toContain('you kept the data')
    ran.add('keep')
  }, 60_000)

  it("keep: a vault labelled like an option ('-x') is named by its id, which the command takes", async () => {
    const g = made.gs[0]!
    const db = new Database(guardianPaths(g.dir).db)
    db.prepare('UPDATE vaults SET label = ?').run('-x')
    db.close()
    const row = g.guardian.db.vaults.all()[0]!
    g.guardian.db.vaults.scheduleRemoval(row.vaultId, row.epoch + 1, Date.now() + 7 * 86_400_000, Date.now())
    const status = await cli('guardian', 'status', '--data-dir', g.dir)
    const advised = ADVICE.keep.command(g.dir, vaultWord('-x', made.vault, ['-x']))
    expect(advised).toContain(`keep ${made.vault} `)
    expect(status.stdout).toContain(`unless you run: ${advised}`)
    expect((await run(advised)).code).toBe(0)
    expect((await cli('guardian', 'status', '--data-dir', g.dir)).stdout).toContain('you kept the data')
  })
})

describe('the advice table', () => {
  it('every entry was run in its state above', () => {
    expect([...ran, ...skipped].sort()).toEqual(Object.keys(ADVICE).sort())
  })
})
