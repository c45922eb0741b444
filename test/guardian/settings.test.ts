/**
 * `kith guardian settings` on real guardian directories (the CLI in-process): it shows what init chose,
 * changes relays, addresses, the port, UPnP and notices in guardian.json, whole and 0600, refuses what it
 * cannot use with INVALID_SETTING and changes nothing then, never prints a notice URL, and says how to
 * restart a daemon that runs (one in this process holds the lock as a spawned one would). It never makes
 * an identity (GUARDIAN_KEY_MISSING), nor writes as another user than the folder's (NOT_GUARDIAN_USER).
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GUARDIAN_ADVICE, shellWord } from '../../src/guardian/advice.js'
import { guardianPaths, readGuardianConfig } from '../../src/guardian/config.js'
import { serviceOfCgroup } from '../../src/guardian/settings.js'
import { initGuardian } from '../../src/guardian/setup.js'
import { cli } from '../helpers/cli.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'
import { runTracked } from '../helpers/procs.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const RELAY_ID = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const RELAY = `/ip4/198.51.100.20/tcp/4646/p2p/${RELAY_ID}`

async function guardian(): Promise<string> {
  const dir = join(await tempDir('kith-settings-'), 'g')
  await initGuardian(dir, { listen: ['/ip4/0.0.0.0/tcp/4646'] })
  return dir
}

const settings = (dir: string, ...args: string[]) => cli('guardian', 'settings', ...args, '--data-dir', dir)

describe('guardian settings', () => {
  it('alone, shows the settings and how to add a relay', async () => {
    const dir = await guardian()
    const r = await settings(dir)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('relays      none')
    expect(r.stdout).toContain('listens on  /ip4/0.0.0.0/tcp/4646')
    expect(r.stdout).toContain(GUARDIAN_ADVICE.addRelay.command(dir))
  })

  it('adds and removes a relay, by its address or its peer ID; the file stays 0600', async () => {
    const dir = await guardian()
    const added = await settings(dir, '--add-relay', `${RELAY}/p2p-circuit`)
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/^Saved\./)
    expect(added.stdout).toContain(`relays      ${RELAY}`)
    expect(added.stdout).toContain(`It uses them from its next start: ${GUARDIAN_ADVICE.start.command(dir)}`)
    expect((await readGuardianConfig(dir)).relays).toEqual([RELAY])
    expect((await stat(guardianPaths(dir).config)).mode & 0o777).toBe(0o600)
    expect((await settings(dir, '--add-relay', RELAY)).stdout).toMatch(/^Nothing to change/)
    expect((await settings(dir, '--remove-relay', RELAY_ID)).code).toBe(0)
    expect((await readGuardianConfig(dir)).relays).toBeUndefined()
  })

  it('a relay address without its peer ID, or this guardian itself, is INVALID_SETTING; nothing changes', async () => {
    const dir = await guardian()
    const before = await readFile(guardianPaths(dir).config, 'utf8')
    const bare = await settings(dir, '--add-relay', '/ip4/198.51.100.20/tcp/4646', '--port', '4700')
    expect(bare.code).toBe(1)
    expect(bare.stderr.trim()).toBe(
      "kith: --add-relay '/ip4/198.51.100.20/tcp/4646': a relay's address ends in /p2p/<its peer ID>: ask your friend for the whole address; nothing was changed [INVALID_SETTING]",
    )
    const self = JSON.parse((await cli('guardian', 'status', '--json', '--data-dir', dir)).stdout).peerId
    const own = await settings(dir, '--add-relay', `/ip4/127.0.0.1/tcp/4646/p2p/${self}`)
    expect(own.stderr).toMatch(/this guardian itself.*\[INVALID_SETTING\]/)
    const junk = await settings(dir, '--add-relay', 'relay.example.net:4646')
    expect(junk.stderr).toMatch(/is not an address kith reads.*\[INVALID_SETTING\]/)
    expect(await readFile(guardianPaths(dir).config, 'utf8')).toBe(before)
  })

  it('removing what is not there, or the last listen address, is refused', async () => {
    const dir = await guardian()
    expect((await settings(dir, '--remove-relay', RELAY)).stderr).toMatch(
      /--remove-relay '.*' is not one of them .*\[INVALID_SETTING\]/,
    )
    expect((await settings(dir, '--remove-listen', '/ip4/0.0.0.0/tcp/4646')).stderr).toMatch(
      /listens on one address at least.*\[INVALID_SETTING\]/,
    )
    expect((await settings(dir, '--port', '0')).stderr).toMatch(/--port 0: give a port from 1 to 65535/)
  })

  it('the port, announced addresses and UPnP', async () => {
    const dir = await guardian()
    const r = await settings(
      dir,
      '--port',
      '4700',
      '--add-announce',
      '/dns4/home.example.net/tcp/4700',
      '--upnp',
    )
    expect(r.code).toBe(0)
    expect(await readGuardianConfig(dir)).toMatchObject({
      listen: ['/ip4/0.0.0.0/tcp/4700'],
      announce: ['/dns4/home.example.net/tcp/4700'],
      upnp: true,
    })
    await settings(dir, '--no-upnp', '--remove-announce', '/dns4/home.example.net/tcp/4700')
    const c = await readGuardianConfig(dir)
    expect(c.upnp).toBeUndefined()
    expect(c.announce).toEqual([])
    expect((await settings(dir, '--add-announce', '/ip4/1.2.3.4/tcp/4646/p2p/x')).code).toBe(1)
  })

  it('--port moves the addresses announced on the old port with it, and says so', async () => {
    const dir = await guardian()
    await settings(dir, '--add-announce', '/dns4/home.example.net/tcp/4646')
    // a router forwarding its port 443 to this computer's 4646: not the port that changes
    await settings(dir, '--add-announce', '/ip4/203.0.113.5/tcp/443')
    const r = await settings(dir, '--port', '4700')
    expect(r.code).toBe(0)
    expect(await readGuardianConfig(dir)).toMatchObject({
      listen: ['/ip4/0.0.0.0/tcp/4700'],
      announce: ['/dns4/home.example.net/tcp/4700', '/ip4/203.0.113.5/tcp/443'],
    })
    expect(r.stdout).toContain(
      'Note: friends are now told port 4700 where you announced the old one: /dns4/home.example.net/tcp/4700 (was /dns4/home.example.net/tcp/4646). If your router forwards a port to this computer, forward 4700 there too; if friends should dial another address: --add-announce and --remove-announce',
    )
  })

  it('an address announced with --port in the same command stays as given', async () => {
    const dir = await guardian()
    const r = await settings(dir, '--port', '4700', '--add-announce', '/dns4/home.example.net/tcp/4646')
    expect(r.code).toBe(0)
    expect((await readGuardianConfig(dir)).announce).toEqual(['/dns4/home.example.net/tcp/4646'])
    expect(r.stdout).not.toContain('Note: friends are now told port')
  })

  it('guardian.json without peer.key (a partial restore): GUARDIAN_KEY_MISSING, no identity made', async () => {
    const dir = await guardian()
    const before = await readFile(guardianPaths(dir).config, 'utf8')
    await rm(guardianPaths(dir).peerKey)
    const r = await settings(dir, '--port', '4700')
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(
      `kith: the guardian in ${dir} has its guardian.json but no peer.key, its identity; nothing was changed. Put peer.key back from where this folder came from: a new one would be a new guardian that your friends' nodes do not know [GUARDIAN_KEY_MISSING]`,
    )
    expect(await readdir(dir)).not.toContain('peer.key')
    expect(await readFile(guardianPaths(dir).config, 'utf8')).toBe(before)
  })

  it("a change asked as root of another user's guardian (sudo on the systemd unit's): NOT_GUARDIAN_USER, nothing written", async (ctx) => {
    // only root can give the folder to another user, as `sudo kith guardian settings` meets it
    if (process.getuid?.() !== 0) return ctx.skip()
    const dir = await guardian()
    expect((await runTracked('chown', ['-R', '65534:65534', dir])).code).toBe(0)
    const before = await readFile(guardianPaths(dir).config, 'utf8')
    const files = (await readdir(dir)).sort()
    const r = await settings(dir, '--port', '4700')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`the guardian in ${dir} belongs to the user `)
    expect(r.stderr).toContain(`'${GUARDIAN_ADVICE.settingsAs.command(dir, 'nobody')}' [NOT_GUARDIAN_USER]`)
    expect(await readFile(guardianPaths(dir).config, 'utf8')).toBe(before)
    expect((await stat(guardianPaths(dir).config)).uid).toBe(65534)
    expect((await readdir(dir)).sort()).toEqual(files)
  })

  it('announced addresses with a relay: the friend is told they hide it', async () => {
    const dir = await guardian()
    await settings(dir, '--add-announce', '/dns4/home.example.net/tcp/4646')
    const r = await settings(dir, '--add-relay', RELAY)
    expect(r.stdout).toMatch(/Note: friends are told only the addresses you announce/)
  })

  it('notices: set and removed; a URL is checked and never printed, only its host', async () => {
    const dir = await guardian()
    const secret = 'https://ntfy.sh/my-secret-topic-123'
    const r = await settings(dir, '--notify-ntfy', secret, '--notify-command', 'logger kith')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('notices     ntfy (ntfy.sh), command')
    expect(r.stdout).not.toContain('my-secret-topic')
    expect((await readGuardianConfig(dir)).notify).toEqual({ ntfy: secret, command: 'logger kith' })
    const bad = await settings(dir, '--notify-webhook', 'ftp://hooks.example/T0KEN')
    expect(bad.stderr).toMatch(
      /--notify-webhook give a web address starting with https:\/\/.*\[INVALID_SETTING\]/,
    )
    expect(bad.stderr).not.toContain('T0KEN')
    await settings(dir, '--remove-notify', 'ntfy', '--remove-notify', 'command')
    expect((await readGuardianConfig(dir)).notify).toBeUndefined()
  })

  it('with the guardian running: saved, and how to restart it', async () => {
    const g = await LocalGuardian.create()
    fleet.guardians.push(g)
    await g.start()
    const r = await settings(g.dir, '--add-relay', RELAY)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(
      `Your guardian is running (pid ${process.pid}) and reads its settings only when it starts. For this change to take effect, stop it (Ctrl-C where it runs) and start it again: ${GUARDIAN_ADVICE.restart.command(g.dir)}`,
    )
    const again = await cli('guardian', 'init', '--data-dir', g.dir)
    expect(again.stderr.trim()).toBe(
      `kith: a guardian already lives in ${g.dir} and runs. To change its relays, addresses or notices: '${GUARDIAN_ADVICE.settings.command(g.dir)}' [GUARDIAN_DIR_IN_USE]`,
    )
    const json = JSON.parse((await settings(g.dir, '--remove-relay', RELAY, '--json')).stdout)
    expect(json).toMatchObject({
      changed: true,
      relays: [],
      running: { pid: process.pid, restart: `kith guardian start --data-dir ${g.dir}` },
    })
  })

  it("a daemon's unit is told from its control group; only kith's own unit counts", () => {
    expect(
      serviceOfCgroup(
        '0::/user.slice/user-1000.slice/user@1000.service/app.slice/kith-guardian.service\n',
        7,
      ),
    ).toEqual({ kind: 'user-unit', unit: 'kith-guardian' })
    expect(serviceOfCgroup('0::/system.slice/kith-guardian.service\n', 7)).toEqual({
      kind: 'system-unit',
      unit: 'kith-guardian',
    })
    expect(
      serviceOfCgroup(
        '0::/user.slice/user-1000.slice/user@1000.service/app.slice/gnome-terminal-server.service\n',
        7,
      ),
    ).toEqual({ kind: 'foreground' })
    expect(serviceOfCgroup('0::/\n', 1)).toEqual({ kind: 'container' })
  })

  it('labels and folders in advice are quoted as a shell reads them back', () => {
    expect(shellWord('home')).toBe('home')
    expect(shellWord("alice's node")).toBe(`"alice's node"`)
    expect(shellWord('a "b" $c')).toBe(`'a "b" $c'`)
    expect(shellWord(`it's "$x"`)).toBe(`'it'\\''s "$x"'`)
  })
})
