/** Handlers of `kith guardian …`. Each prints for a person, or one JSON object with --json. */
import { stat } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeText } from '../../../crypto/text.js'
import { ensurePrivateDir } from '../../../disk/atomic.js'
import {
  DEFAULT_PORT,
  guardianPaths,
  reachableAddrs,
  readGuardianConfig,
  writeGuardianConfig,
} from '../../../guardian/config.js'
import { Guardian } from '../../../guardian/service.js'
import { GuardianStore } from '../../../guardian/store.js'
import { inviteSecretHash, inviteToText, newInviteSecret } from '../../../p2p/invite.js'
import { loadOrCreatePeerKey } from '../../../p2p/peer-key.js'
import { peerIdBytes } from '../../../p2p/peers.js'
import { UsageError } from '../../errors.js'
import { formatAgo, formatSize, parseDuration, parseSize } from '../../parse.js'
import { stopOnSignal } from '../../signals.js'

const say = (line: string) => console.log(line)
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

export async function guardianInit(a: {
  dataDir: string
  listen?: string[]
  announce?: string[]
  json: boolean
}) {
  const paths = guardianPaths(a.dataDir)
  if (
    await stat(paths.config).then(
      () => true,
      () => false,
    )
  ) {
    throw new UsageError(`a guardian already lives in ${a.dataDir}; use it with 'kith guardian start'`)
  }
  await ensurePrivateDir(a.dataDir)
  const key = await loadOrCreatePeerKey(paths.peerKey)
  GuardianStore.open(paths.db).close()
  const listen = a.listen && a.listen.length > 0 ? a.listen : [`/ip4/0.0.0.0/tcp/${DEFAULT_PORT}`]
  await writeGuardianConfig(a.dataDir, { version: 1, listen, announce: a.announce ?? [] })
  const peerId = peerIdFromPrivateKey(key).toString()
  if (a.json) return say(JSON.stringify({ peerId, dataDir: a.dataDir, listen }))
  say(`Guardian created in ${a.dataDir}`)
  say(`  peer ID    ${peerId}`)
  say(`  listens on ${listen.join(', ')}`)
  say(`Next: 'kith guardian start' to run it, then 'kith guardian invite' for each friend's node.`)
}

export async function guardianStart(a: { dataDir: string; antiEntropy?: string }) {
  const config = await readGuardianConfig(a.dataDir)
  const guardian = new Guardian({
    dataDir: a.dataDir,
    listen: config.listen,
    announce: config.announce,
    antiEntropyMs: a.antiEntropy ? parseDuration(a.antiEntropy) : 60_000,
    onEvent: (line) => say(`${stamp()} ${line}`),
  })
  await guardian.start()
  say(`${stamp()} guardian ${guardian.peerId} running; keeping ${guardian.db.vaults().length} vault(s)`)
  for (const addr of guardian.addrs) say(`${stamp()} listening on ${addr}`)
  await stopOnSignal(
    () => guardian.stop(),
    (l) => say(`${stamp()} ${l}`),
  )
  say(`${stamp()} stopped`)
}

export async function guardianInvite(a: {
  dataDir: string
  label: string
  quota: string
  expires: string
  json: boolean
}) {
  const config = await readGuardianConfig(a.dataDir)
  const paths = guardianPaths(a.dataDir)
  const key = await loadOrCreatePeerKey(paths.peerKey)
  const addrs = await reachableAddrs(a.dataDir, config)
  if (addrs.length === 0) {
    throw new UsageError(
      'no address to put in the invite: start the guardian first, or set --announce at init',
    )
  }
  const quota = parseSize(a.quota)
  const expiresAt = Date.now() + parseDuration(a.expires)
  const secret = newInviteSecret()
  const store = GuardianStore.open(paths.db)
  try {
    store.createInvite({ secretHash: inviteSecretHash(secret), label: a.label, quota, expiresAt }, Date.now())
  } finally {
    store.close()
  }
  const token = inviteToText({
    peerId: peerIdBytes(peerIdFromPrivateKey(key)),
    addrs,
    secret,
    quota,
    expiresAt,
    label: a.label,
  })
  if (a.json) return say(JSON.stringify({ invite: token, quota, expiresAt }))
  say(
    `Invite for one vault, up to ${formatSize(quota)}, usable once until ${new Date(expiresAt).toISOString()}.`,
  )
  say('Give this to your friend (it is a secret until used):')
  say('')
  say(token)
}

export async function guardianStatus(a: { dataDir: string; json: boolean }) {
  const config = await readGuardianConfig(a.dataDir)
  const paths = guardianPaths(a.dataDir)
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(paths.peerKey)).toString()
  const addrs = await reachableAddrs(a.dataDir, config)
  const store = GuardianStore.open(paths.db)
  const now = Date.now()
  const vaults = store.vaults().map((v) => ({
    label: v.label,
    vault: encodeText('vault', v.vaultId),
    epoch: v.epoch,
    version: v.headVersion,
    bytesStored: v.bytesStored,
    quota: v.quota,
    lastContact: v.lastContact,
    equivocation: v.equivocation,
  }))
  store.close()
  if (a.json) return say(JSON.stringify({ peerId, addrs, vaults }))
  say(`Guardian ${peerId}`)
  say(`  reachable at ${addrs.length > 0 ? addrs.join(', ') : '(not running, no fixed address)'}`)
  say(`Vaults: ${vaults.length}`)
  for (const v of vaults) {
    say(`  ${v.label}  ${v.vault}`)
    say(
      `    epoch ${v.epoch}, newest version ${v.version}, ${formatSize(v.bytesStored)} of ${formatSize(v.quota)}, last contact ${formatAgo(now - v.lastContact)}`,
    )
    if (v.equivocation)
      say(
        '    !! EQUIVOCATION: two different versions with one number. Tell your friend to stop all but one node NOW.',
      )
  }
}
