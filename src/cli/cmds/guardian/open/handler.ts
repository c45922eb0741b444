/** `kith guardian open`: a one-time login link to the running guardian's page, opened where possible. */
import { spawn } from 'node:child_process'
import { loginLink } from '../../../../guardian/web/login.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import type { OpenArgs } from './options.js'

/** The desktop's "open this" command, where there is a desktop to open it on. */
function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open'
  if (process.platform === 'linux' && (process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']))
    return 'xdg-open'
  return undefined
}

export async function openHandler(a: OpenArgs): Promise<void> {
  const { link, file } = await loginLink(a.dataDir, systemClock()())
  const command = a.browser ? opener() : undefined
  if (command !== undefined) {
    // the browser gets the redirect file, never the token on a command line others can read
    const child = spawn(command, [file], { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  }
  if (a.json) return sayJson({ link, opened: command !== undefined })
  say(
    command !== undefined
      ? "Opening your guardian's page in your browser. If it does not open, use this link:"
      : 'Open this link in a browser on this computer:',
  )
  say(`  ${link}`)
  say('It works once, for 10 minutes. Do not send it to anyone.')
}
