/** The shipped systemd units pass `systemd-analyze verify` (skipped, saying why, where it is missing). */
import { execFileSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'systemd')
let analyze = true
try {
  execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' })
} catch {
  analyze = false
  console.warn('skipping systemd unit verification: systemd-analyze is not installed')
}

describe('systemd units', () => {
  it.skipIf(!analyze)('every unit verifies', async () => {
    const units = (await readdir(dir)).filter((f) => /\.(service|timer)$/.test(f))
    expect(units.sort()).toEqual([
      'kith-drill.service',
      'kith-drill.timer',
      'kith-guardian.service',
      'kith-vault-watch.service',
    ])
    for (const u of units) {
      const out = execFileSync('systemd-analyze', ['verify', join(dir, u)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      expect(out).toBe('')
    }
  })

  it('services are hardened and keep no secret on a command line', async () => {
    for (const u of ['kith-guardian.service', 'kith-vault-watch.service', 'kith-drill.service']) {
      const text = await readFile(join(dir, u), 'utf8')
      for (const line of [
        'NoNewPrivileges=yes',
        'ProtectSystem=',
        'PrivateTmp=yes',
        'UMask=0077',
        'CapabilityBoundingSet=',
      ])
        expect(text, `${u} ${line}`).toContain(line)
      expect(text).not.toMatch(/passphrase=|KITH_PASSPHRASE=/i)
    }
  })

  it("the guardian's memory settings are the same in the unit and the Docker image, and Node starts with them", async () => {
    const unit = await readFile(join(dir, 'kith-guardian.service'), 'utf8')
    const docker = await readFile(join(dir, '..', 'docker', 'Dockerfile'), 'utf8')
    const fromUnit = Object.fromEntries(
      [...unit.matchAll(/^Environment=(NODE_OPTIONS|GLIBC_TUNABLES)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    )
    const fromDocker = Object.fromEntries(
      [...docker.matchAll(/^ENV (NODE_OPTIONS|GLIBC_TUNABLES)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    )
    expect(Object.keys(fromUnit).sort()).toEqual(['GLIBC_TUNABLES', 'NODE_OPTIONS'])
    expect(fromDocker).toEqual(fromUnit)
    // an option Node does not take in NODE_OPTIONS stops it at once, with a message
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write('started')"], {
      env: { ...process.env, ...fromUnit },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    expect(out).toBe('started')
  })
})
