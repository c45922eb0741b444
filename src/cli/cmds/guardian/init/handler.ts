/** `kith guardian init`: create a guardian and say what to do next. */
import { GUARDIAN_ADVICE as ADVICE } from '../../../../guardian/advice.js'
import { addressWarnings, initGuardian } from '../../../../guardian/setup.js'
import { say, sayJson } from '../../../output.js'
import type { InitArgs } from './options.js'

export async function initHandler(a: InitArgs): Promise<void> {
  const { peerId, listen } = await initGuardian(a.dataDir, {
    ...(a.listen ? { listen: a.listen } : {}),
    ...(a.announce ? { announce: a.announce } : {}),
    ...(a.relay ? { relays: a.relay } : {}),
    ...(a.upnp ? { upnp: true } : {}),
    ...(a.notifyNtfy || a.notifyWebhook || a.notifyCommand
      ? {
          notify: {
            ...(a.notifyNtfy ? { ntfy: a.notifyNtfy } : {}),
            ...(a.notifyWebhook ? { webhook: a.notifyWebhook } : {}),
            ...(a.notifyCommand ? { command: a.notifyCommand } : {}),
          },
        }
      : {}),
  })
  if (a.json)
    return sayJson({
      peerId,
      dataDir: a.dataDir,
      listen,
      warnings: addressWarnings(listen, a.announce ?? []),
    })
  say(`Guardian created in ${a.dataDir}`)
  say(`  peer ID    ${peerId}`)
  say(`  listens on ${listen.join(', ')}`)
  for (const w of addressWarnings(listen, a.announce ?? [])) say(`Warning: ${w}`)
  say(
    `Next: '${ADVICE.start.command(a.dataDir)}' to run it, then '${ADVICE.invite.command(a.dataDir)}' for each friend's node.`,
  )
}
