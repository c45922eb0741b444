/**
 * The memory settings the systemd unit (deploy/systemd/kith-guardian.service) gives the guardian daemon,
 * read from the unit itself, so a bench that runs guardians "as deployed" measures what is shipped.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The unit's Environment= settings a bench copies into the processes it starts. */
export const DEPLOYED_SETTINGS = ['NODE_OPTIONS', 'GLIBC_TUNABLES']

/**
 * Put the unit's settings into this process's environment, which the guardians (and every other process)
 * it starts inherit; what they are now, for the bench's JSON.
 */
export function runAsDeployed(): Record<string, string | null> {
  const unit = readFileSync(
    fileURLToPath(new URL('../../deploy/systemd/kith-guardian.service', import.meta.url)),
    'utf8',
  )
  for (const m of unit.matchAll(/^Environment=(\w+)=(.*)$/gm))
    if (DEPLOYED_SETTINGS.includes(m[1]!)) process.env[m[1]!] = m[2]!
  return deployedSettingsInForce()
}

/** The settings in this process's environment (null: not set). */
export const deployedSettingsInForce = (): Record<string, string | null> =>
  Object.fromEntries(DEPLOYED_SETTINGS.map((k) => [k, process.env[k] ?? null]))
