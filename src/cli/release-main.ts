/**
 * The release executable's entry (docs/release.md): scripts/release.mjs bundles this module and all it
 * imports into the one CommonJS script of a Node single executable application, so it has no top-level
 * await. Its Node is its own, so none is checked. `cln-plugin <config>` runs kith-cln as lightningd
 * starts it (cln/installed.ts writes that line); anything else is one kith command line.
 */
import { RELEASE_PLUGIN_COMMAND } from '../cln/installed.js'
import { runCli } from './run.js'

// a single executable application's argv is [executable, executable, ...kith's arguments]
const argv = process.argv.slice(2)
if (argv[0] === RELEASE_PLUGIN_COMMAND)
  void import('../cln/plugin-process.js').then((m) => m.runPluginProcess(argv[1]))
// done, and closed what it opened: exit now, not when libp2p's last close timer runs out (main.ts)
else void runCli(argv).then((status) => process.exit(status))
