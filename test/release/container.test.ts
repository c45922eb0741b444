/**
 * The guardian image of deploy/docker, really built and run. podman builds the Dockerfile on a Debian
 * base made by debootstrap (no image registry is reachable here: scripts/container-base.sh), from a
 * context holding only the release files and the entrypoint, as .dockerignore leaves it. The container
 * runs as compose.yaml runs it (read-only, /tmp in memory, every capability dropped, no new privileges,
 * its state in a volume, port 4646 published on 127.0.0.1), creates its guardian on first start, and a
 * vault on this machine enrols it with a guardian of its own and commits a version at both.
 *
 * This machine needs two settings that a usual Docker or podman host does not: the runc runtime (crun
 * 1.8 refuses cgroups in hybrid mode, which this machine has) and limits on open files and processes no
 * higher than this sandbox may set (it lacks CAP_SYS_RESOURCE; podman's defaults are higher).
 */
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fleet, GuardianProcess, kith } from '../helpers/daemons.js'
import { runTracked } from '../helpers/procs.js'
import { releaseFile } from '../helpers/release.js'
import { fileTempDir } from '../helpers/tmp.js'

const ROOT = join(import.meta.dirname, '..', '..')
const NAME = `kith-guardian-test-${process.pid}`
const IMAGE = `localhost/kith-guardian:test-${process.pid}`
const VOLUME = `${NAME}-data`
const PORT = 14_000 + (process.pid % 1000)
const HOST_LIMITS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096']

const { started } = fleet()

async function podman(...args: string[]): Promise<string> {
  const r = await runTracked('podman', ['--runtime', 'runc', ...args])
  if (r.code !== 0) throw new Error(`podman ${args[0]} failed (${r.code}): ${r.stderr}`)
  return r.stdout
}

describe('the guardian image, built by podman and enrolled', () => {
  let work: string
  let v: (...args: string[]) => string[]

  beforeAll(async () => {
    const base = (await runTracked(join(ROOT, 'scripts', 'container-base.sh'), [])).stdout.trim()
    expect(base).toMatch(/^localhost\/debian:/)
    // the build context .dockerignore leaves: the release files and the entrypoint
    const context = await fileTempDir('kith-image-')
    await mkdir(join(context, 'release'))
    await mkdir(join(context, 'deploy', 'docker'), { recursive: true })
    for (const arch of ['x64', 'arm64'] as const) {
      const exe = await releaseFile(arch)
      await copyFile(exe, join(context, 'release', exe.split('/').pop()!))
    }
    await copyFile(join(ROOT, 'release', 'SHA256SUMS'), join(context, 'release', 'SHA256SUMS'))
    for (const f of ['Dockerfile', 'entrypoint.sh'])
      await copyFile(join(ROOT, 'deploy', 'docker', f), join(context, 'deploy', 'docker', f))
    await podman(
      'build',
      ...HOST_LIMITS,
      '--build-arg',
      `BASE=${base}`,
      '-f',
      join(context, 'deploy', 'docker', 'Dockerfile'),
      '-t',
      IMAGE,
      context,
    )
    await podman(
      'run',
      '-d',
      '--name',
      NAME,
      ...HOST_LIMITS,
      '-p',
      `127.0.0.1:${PORT}:4646`,
      '-e',
      `KITH_ANNOUNCE=/ip4/127.0.0.1/tcp/${PORT}`,
      '-v',
      `${VOLUME}:/data`,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      IMAGE,
    )
    work = await fileTempDir('kith-node-')
  })

  afterAll(async () => {
    await runTracked('podman', ['--runtime', 'runc', 'rm', '-f', NAME])
    await runTracked('podman', ['volume', 'rm', '-f', VOLUME])
    await runTracked('podman', ['rmi', '-f', IMAGE])
  })

  it('runs the release file as user kith, its guardian created in the 0700 volume on first start', async () => {
    let logs = ''
    for (let i = 0; i < 300 && !logs.includes('listening on'); i++) {
      await new Promise((r) => setTimeout(r, 200))
      logs = (await runTracked('podman', ['logs', NAME])).stdout
    }
    expect(logs).toContain('Guardian created in /data')
    expect(logs).toContain(`listening on /ip4/127.0.0.1/tcp/${PORT}/p2p/`)
    const who = await podman('exec', NAME, 'sh', '-c', 'id -un; stat -c %a /data; kith --version')
    expect(who.split('\n').slice(0, 2)).toEqual(['kith', '700'])
    expect(who).toMatch(/kith-[^\s)]+-linux-x64/)
  })

  it("a vault enrols the container's guardian and one on this machine, and commits a version at both", async () => {
    const inContainer = JSON.parse(
      await podman('exec', NAME, 'kith', 'guardian', 'invite', '--quota', '1GiB', '--json'),
    )
    const here = await GuardianProcess.init(await fileTempDir('kith-g-'))
    started.push(here)
    await here.start()
    const dir = join(work, 'vault')
    v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--json']
    await kith(...v('init', '-k', '2', '-w', '2'))
    const invites = join(work, 'invites.txt')
    await writeFile(invites, [inContainer.invite, await here.inviteText('1GiB')].join('\n'), { mode: 0o600 })
    await kith(...v('add-guardian', '--invite-file', invites))
    const scb = join(work, 'channel.backup')
    await writeFile(scb, randomBytes(4000))
    await kith(...v('add-source', 'lnd-scb', scb))
    const b = JSON.parse(await kith(...v('backup')))
    expect(b.pushed).toMatchObject({ version: 1, committed: true, receipts: 2 })
    const status = JSON.parse(await podman('exec', NAME, 'kith', 'guardian', 'status', '--json'))
    expect(status.vaults).toEqual([expect.objectContaining({ version: 1 })])
  })
})
