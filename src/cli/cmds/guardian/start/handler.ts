/** `kith guardian start`: the daemon in the foreground, with its human lines and its JSON log. */
import { join } from 'node:path'
import { GUARDIAN_ADVICE as ADVICE } from '../../../../guardian/advice.js'
import { readGuardianConfig } from '../../../../guardian/config.js'
import { Guardian } from '../../../../guardian/service.js'
import { closeLog, createLog } from '../../../../log.js'
import type { GlobalArgs } from '../../../command.js'
import { say, stamp } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { stopOnSignal } from '../../../signals.js'
import { DEFAULT_WEB_LISTEN, type StartArgs } from './options.js'

export async function startHandler(a: StartArgs & GlobalArgs): Promise<void> {
  const config = await readGuardianConfig(a.dataDir)
  const log = createLog('guardian', { file: a.logFile ?? join(a.dataDir, 'kith.log'), level: a.logLevel })
  const guardian = new Guardian({
    log,
    dataDir: a.dataDir,
    listen: config.listen,
    announce: config.announce,
    ...(config.relays ? { relays: config.relays } : {}),
    ...(config.upnp ? { upnp: true } : {}),
    ...(config.notify ? { notify: config.notify } : {}),
    antiEntropyMs: parseDuration(a.antiEntropy),
    ...(a.web ? { web: a.webListen } : {}),
    // a second guardian on this computer finds the next free port; a port the friend chose is kept
    ...(a.webListen === DEFAULT_WEB_LISTEN ? { webNextPorts: 20 } : {}),
    onEvent: (line) => say(`${stamp()} ${line}`),
  })
  await guardian.start()
  // the handlers go in before the lines that say it runs: whoever waits for them may signal at once
  const stopped = stopOnSignal(
    async () => {
      await guardian.stop()
    },
    (l) => say(`${stamp()} ${l}`),
  )
  const page = guardian.pageUrl
  if (page !== undefined)
    say(
      `${stamp()} your page: ${page} (to log in: ${ADVICE.open.command(a.dataDir)}); metrics at ${page}/metrics`,
    )
  say(`${stamp()} guardian ${guardian.peerId} running; keeping ${guardian.db.vaults.all().length} vault(s)`)
  for (const addr of guardian.addrs) say(`${stamp()} listening on ${addr}`)
  await stopped
  closeLog(log)
  say(`${stamp()} stopped`)
}
