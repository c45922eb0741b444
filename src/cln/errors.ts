/**
 * Errors of the CLN plugin's installation. (The folder's older errors still sit beside their modules:
 * `ClnPostgresError` in lightningd-config.ts, `PluginNotInstalledError` in config.ts.)
 */
import { KithError } from '../errors.js'

/** Why the kith a command runs from cannot carry lightningd's plugin. */
export type NotInstalledReason = 'git-work-tree' | 'not-installed' | 'npx-cache' | 'not-built'

const _WHY: Record<NotInstalledReason, string> = {
  'git-work-tree': 'a git work tree (a clone, or a link into one as `npm install -g .` makes)',
  'not-installed': 'which npm did not install (it is not in a node_modules folder)',
  'npx-cache': "npx's temporary cache",
  'not-built': 'which holds no dist/src/cln/main.js',
}

/**
 * `kith cln install-plugin` runs from a kith that is not an installed copy: lightningd's plugin would
 * depend on a clone (or a cache) staying where it is and as it is. Nothing was written.
 */
export class KithNotInstalledError extends KithError {
  readonly code = 'KITH_NOT_INSTALLED'
  constructor(
    readonly root: string,
    readonly reason: NotInstalledReason,
  ) {
    super(
      `kith runs from ${root}, ${_WHY[reason]}: lightningd's plugin must not depend on it. Install a copy of kith (in the clone: npm install -g "$(npm pack --silent)") and run that kith's install-plugin`,
      { root, reason },
    )
  }
}
