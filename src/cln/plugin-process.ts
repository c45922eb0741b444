/**
 * The kith-cln plugin process that lightningd starts, as a function: `kith-cln <path to cln-plugin.json>`
 * runs it from cln/main.ts (an npm install) or from a release executable's `cln-plugin` word. It never
 * exits without saying why: one line on stderr (lightningd writes a plugin's stderr to its log) and, on
 * stdout, a `log` notification at `broken`, which lightningd logs as the plugin's own.
 */
import { KithError, thrownText } from '../errors.js'
import { cleanText } from '../text.js'
import { logNotification } from './rpc.js'
import { runPlugin } from './run.js'

/** Say `line` both ways lightningd hears a plugin, then exit with `status`. */
function _stop(status: number, line: string): void {
  const text = cleanText(`kith-cln: ${line}`, 1000)
  process.stdout.write(logNotification('broken', text))
  process.stderr.write(`${text}\n`, () => process.exit(status))
}

/** Run the plugin on the config file lightningd's executable names, to this process's exit. */
export function runPluginProcess(configPath: string | undefined): void {
  if (configPath === undefined) {
    _stop(
      2,
      'no config file given: lightningd must start it as `kith-cln <path to cln-plugin.json>`; run `kith cln install-plugin` again',
    )
    return
  }
  runPlugin(configPath, process.stdin, process.stdout).then(
    () => process.exit(0),
    (err: unknown) =>
      _stop(1, `stopped: ${err instanceof KithError ? `${err.message} [${err.code}]` : thrownText(err)}`),
  )
}
