/** `kith lss serve`: set the signer store up (once), then serve it until a signal. */

import { vaultPaths } from '../../../../coordinator/paths.js'
import { ensurePrivateDir } from '../../../../disk/atomic.js'
import { acquireLock } from '../../../../disk/lock.js'
import { closeLog, createLog } from '../../../../log.js'
import { signerPaths } from '../../../../signer/files.js'
import { serveSigner } from '../../../../signer/serve.js'
import { setUpSigner, storeToServe } from '../../../../signer/setup.js'
import type { GlobalArgs } from '../../../command.js'
import { UsageError } from '../../../errors.js'
import { say, stamp } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { checkOutputFileOption } from '../../../paths.js'
import { stopOnSignal } from '../../../signals.js'
import { withVault } from '../../vault/open.js'
import type { ServeArgs } from './options.js'

/** host:port (a bracketed IPv6 host too), or undefined for 'off'. */
function _address(option: string, text: string): { host: string; port: number } | undefined {
  if (text === 'off') return undefined
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65535) throw new UsageError(`--${option} ${text}: give host:port (e.g. 127.0.0.1:55551)`)
  return { host: m[1] ?? m[2]!, port }
}

export async function serveHandler(a: ServeArgs & GlobalArgs): Promise<void> {
  const lss = _address('listen', a.listen)
  const vss = a.vssListen === undefined ? undefined : _address('vss-listen', a.vssListen)
  if (lss === undefined && vss === undefined)
    throw new UsageError('nothing to serve: give --listen or --vss-listen')
  const holdMs = parseDuration(a.hold)
  if (a.store !== undefined) await checkOutputFileOption('--store', a.store)
  // one server per vault, for as long as it runs; the vault key is used here, once (the writer, the first
  // snapshot, the server key), then let go
  let release: (() => void) | undefined
  const setup = await withVault(a, async (vault) => {
    await ensurePrivateDir(vaultPaths(a.dataDir).journals)
    release = acquireLock(signerPaths(a.dataDir).lock, 'signer store')
    return setUpSigner(vault, storeToServe(vault, a.store), { replace: a.replaceStore === true })
  }).catch((err: unknown) => {
    release?.()
    throw err
  })
  const log = createLog('signer', {
    file: a.logFile ?? signerPaths(a.dataDir).log,
    level: a.logLevel ?? 'info',
  })
  const line = (l: string) => {
    log.info({ event: 'note' }, l)
    say(`${stamp()} ${l}`)
  }
  try {
    if (setup.snapshot)
      line(
        `the signer store ${setup.store} is backed up as version ${setup.snapshot.version}; every write from now on is replicated`,
      )
    const server = await serveSigner({
      vaultDir: a.dataDir,
      setup,
      ...(lss ? { lss } : {}),
      ...(vss ? { vss } : {}),
      holdMs,
      ...(a.alertWebhook ? { alertWebhook: a.alertWebhook } : {}),
      ...(a.alertCommand ? { alertCommand: a.alertCommand } : {}),
      say: (level, l) => {
        if (level === 'info') log.info({ event: 'note' }, l)
        else log.warn({ event: 'note', level }, l)
        say(`${stamp()} ${l}`)
      },
      log,
    })
    const stopped = stopOnSignal(() => server.close(), line)
    if (server.lssPort !== undefined) line(`LSS on ${lss!.host}:${server.lssPort}`)
    if (server.vssPort !== undefined) line(`VSS on http://${vss!.host}:${server.vssPort}/vss`)
    await stopped
    line('stopped')
  } finally {
    closeLog(log)
    release?.()
  }
}
