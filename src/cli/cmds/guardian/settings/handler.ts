/**
 * `kith guardian settings`: show, or change, what `kith guardian init` chose: relays, addresses, the
 * port, UPnP and notices. The daemon reads them when it starts, so a running one is named, with the
 * exact way to restart it. Never prints a notice target's URL whole (an ntfy topic is a secret).
 */
import { GUARDIAN_ADVICE as ADVICE, type DaemonService } from '../../../../guardian/advice.js'
import { type GuardianConfig, readGuardianConfig } from '../../../../guardian/config.js'
import {
  runningDaemon,
  type SettingsChange,
  settingsNotes,
  updateSettings,
} from '../../../../guardian/settings.js'
import { say, sayJson } from '../../../output.js'
import type { SettingsArgs } from './options.js'

function _change(a: SettingsArgs): SettingsChange {
  const notify = {
    ...(a.notifyNtfy !== undefined ? { ntfy: a.notifyNtfy } : {}),
    ...(a.notifyWebhook !== undefined ? { webhook: a.notifyWebhook } : {}),
    ...(a.notifyCommand !== undefined ? { command: a.notifyCommand } : {}),
  }
  return {
    ...(a.addRelay ? { addRelay: a.addRelay } : {}),
    ...(a.removeRelay ? { removeRelay: a.removeRelay } : {}),
    ...(a.addListen ? { addListen: a.addListen } : {}),
    ...(a.removeListen ? { removeListen: a.removeListen } : {}),
    ...(a.port !== undefined ? { port: a.port } : {}),
    ...(a.addAnnounce ? { addAnnounce: a.addAnnounce } : {}),
    ...(a.removeAnnounce ? { removeAnnounce: a.removeAnnounce } : {}),
    ...(a.upnp !== undefined ? { upnp: a.upnp } : {}),
    ...(Object.keys(notify).length > 0 ? { notify } : {}),
    ...(a.removeNotify ? { removeNotify: a.removeNotify } : {}),
  }
}

/** Where notices go, without the URLs themselves: a topic or a token in them is a secret. */
function _targets(config: GuardianConfig): string[] {
  const host = (url: string) => {
    try {
      return ` (${new URL(url).host})`
    } catch {
      return ''
    }
  }
  const n = config.notify ?? {}
  return [
    ...(n.ntfy !== undefined ? [`ntfy${host(n.ntfy)}`] : []),
    ...(n.webhook !== undefined ? [`webhook${host(n.webhook)}`] : []),
    ...(n.command !== undefined ? ['command'] : []),
  ]
}

/** What a changed setting needs while the daemon runs: its restart, said the way it was started. */
function _restart(dir: string, pid: number, service: DaemonService): string {
  const how = ADVICE.restart.command(dir, service)
  switch (service.kind) {
    case 'foreground':
      return `Your guardian is running (pid ${pid}) and reads its settings only when it starts. For this change to take effect, stop it (Ctrl-C where it runs) and start it again: ${how}`
    case 'container':
      return `Your guardian runs in a container and reads its settings only when it starts. For this change to take effect, restart the container, on the computer that runs it, in the folder of its compose.yaml: ${how}`
    default:
      return `Your guardian runs as the service ${service.unit} (pid ${pid}) and reads its settings only when it starts. For this change to take effect, restart it: ${how}`
  }
}

export async function settingsHandler(a: SettingsArgs): Promise<void> {
  const change = _change(a)
  const asked = Object.keys(change).length > 0
  const { config, moved, changed } = asked
    ? await updateSettings(a.dataDir, change)
    : { config: await readGuardianConfig(a.dataDir), moved: [], changed: false }
  const running = await runningDaemon(a.dataDir)
  const restart = changed && running !== undefined ? ADVICE.restart.command(a.dataDir, running.service) : null
  const notes = settingsNotes(config, moved)
  if (a.json)
    return sayJson({
      changed,
      relays: config.relays ?? [],
      listen: config.listen,
      announce: config.announce,
      upnp: config.upnp === true,
      notify: _targets(config),
      notes,
      running: running === undefined ? null : { pid: running.pid, restart },
    })
  if (changed) say('Saved.')
  else if (asked) say('Nothing to change: it was so already.')
  const none = (list: readonly string[], otherwise: string) => (list.length > 0 ? list.join(', ') : otherwise)
  say(`Settings of your guardian in ${a.dataDir}:`)
  say(`  relays      ${none(config.relays ?? [], 'none')}`)
  say(`  listens on  ${config.listen.join(', ')}`)
  say(`  announces   ${none(config.announce, 'nothing else (friends are told where it listens)')}`)
  say(`  UPnP        ${config.upnp === true ? 'on' : 'off'}`)
  say(`  notices     ${none(_targets(config), 'none')}`)
  for (const n of notes) say(`Note: ${n}`)
  if (changed && running !== undefined) say(_restart(a.dataDir, running.pid, running.service))
  else if (changed) say(`It uses them from its next start: ${ADVICE.start.command(a.dataDir)}`)
  else if (!asked)
    say(
      `To be reached through a relay: ${ADVICE.addRelay.command(a.dataDir)} ('kith guardian settings --help' lists every setting)`,
    )
}
