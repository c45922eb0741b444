/** Handlers of `kith guardian …`. Each prints for a person, or one JSON object with --json. */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { systemClock } from '../../../clock.js'
import { toHex } from '../../../crypto/bytes.js'
import { encodeText } from '../../../crypto/text.js'
import { ensurePrivateDir } from '../../../disk/atomic.js'
import {
  DEFAULT_PORT,
  guardianPaths,
  reachableAddrs,
  readGuardianConfig,
  writeGuardianConfig,
} from '../../../guardian/config.js'
import { approveRequest, denyRequest } from '../../../guardian/recovery.js'
import { Guardian } from '../../../guardian/service.js'
import { GuardianStore, type RecoveryRequestRow, type RequestState } from '../../../guardian/store.js'
import { createLog, type LogLevel } from '../../../log.js'
import { inviteSecretHash, inviteToText, newInviteSecret } from '../../../p2p/invite.js'
import { loadOrCreatePeerKey } from '../../../p2p/peer-key.js'
import { peerIdBytes } from '../../../p2p/peers.js'
import { normalizeCode } from '../../../shares/release.js'
import { UsageError } from '../../errors.js'
import { formatAgo, formatSize, parseDuration, parseSize } from '../../parse.js'
import { stopOnSignal } from '../../signals.js'

const say = (line: string) => console.log(line)
/** The guardian's clock, the same one its daemon uses (KITH_CLOCK_SKEW_MS included). */
const clock = systemClock()
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

export async function guardianStart(a: {
  dataDir: string
  antiEntropy?: string
  logLevel?: LogLevel
  logFile?: string
}) {
  const config = await readGuardianConfig(a.dataDir)
  const log = createLog('guardian', {
    file: a.logFile ?? join(a.dataDir, 'kith.log'),
    level: a.logLevel ?? 'info',
  })
  const guardian = new Guardian({
    log,
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
  releaseDelay?: string
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
  const expiresAt = clock() + parseDuration(a.expires)
  const secret = newInviteSecret()
  const store = GuardianStore.open(paths.db)
  try {
    store.createInvite(
      {
        secretHash: inviteSecretHash(secret),
        label: a.label,
        quota,
        expiresAt,
        ...(a.releaseDelay !== undefined ? { releaseDelay: parseDuration(a.releaseDelay) } : {}),
      },
      clock(),
    )
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
  const now = clock()
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

const STATE_WORDS: Record<RequestState, string> = {
  pending: 'waiting for you',
  approved: 'approved, waiting out the release delay',
  released: 'released',
  denied: 'denied',
  vetoed: 'VETOED by the vault owner',
  superseded: 'replaced by a newer request',
  expired: 'expired',
}

function _requestJson(db: GuardianStore, r: RecoveryRequestRow, now: number) {
  return {
    request: toHex(r.requestId),
    vault: encodeText('vault', r.vaultId),
    label: db.vault(r.vaultId)?.label ?? '?',
    code: r.code,
    state: r.state,
    ageMs: now - r.createdAt,
    expiresAt: r.expiresAt,
    ...(r.releaseAt !== null ? { releaseAt: r.releaseAt } : {}),
  }
}

/** Open the guardian's database for one short command, beside a running daemon (WAL allows it). */
async function _withStore<T>(dataDir: string, fn: (db: GuardianStore) => T): Promise<T> {
  await readGuardianConfig(dataDir)
  const db = GuardianStore.open(guardianPaths(dataDir).db)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

export async function guardianRequests(a: { dataDir: string; all: boolean; json: boolean }) {
  const now = clock()
  const rows = await _withStore(a.dataDir, (db) => {
    db.expireRequests(now)
    return db.requests({ open: !a.all }).map((r) => _requestJson(db, r, now))
  })
  if (a.json) return say(JSON.stringify({ requests: rows }))
  if (rows.length === 0) return say(a.all ? 'No recovery requests, ever.' : 'No recovery requests waiting.')
  for (const r of rows) {
    say(`Request ${r.request} for "${r.label}" (${formatAgo(r.ageMs)}): ${STATE_WORDS[r.state]}`)
    if (r.state === 'pending') {
      say(`  Your friend's recovery shows code ${r.code} for you.`)
      say('  Call them on a number you already know and ask them to read their code. Only if it matches:')
      say(`    kith guardian approve ${r.request} --code <the code they read>`)
      say(`  If you did not expect this or the code differs: kith guardian deny ${r.request}`)
    }
  }
}

export async function guardianApprove(a: {
  dataDir: string
  request: string
  code: string
  overrideVeto: boolean
  json: boolean
}) {
  const r = await _withStore(a.dataDir, (db) =>
    approveRequest(db, a.request, normalizeCode(a.code), { overrideVeto: a.overrideVeto, now: clock() }),
  )
  if (a.json)
    return say(JSON.stringify({ request: toHex(r.requestId), state: r.state, releaseAt: r.releaseAt }))
  const wait = (r.releaseAt ?? 0) - clock()
  say(
    wait > 0
      ? `Approved. Your share will be released in ${formatAgo(wait).replace(/ ago$/, '')}, when your friend's recovery asks again.`
      : "Approved. Your share goes to your friend's recovery the next time it asks (within seconds if it is running).",
  )
}

export async function guardianDeny(a: { dataDir: string; request: string; json: boolean }) {
  const r = await _withStore(a.dataDir, (db) => denyRequest(db, a.request, clock()))
  if (a.json) return say(JSON.stringify({ request: toHex(r.requestId), state: r.state }))
  say('Denied. Nothing was released. Tell your friend, on a number you know, that someone asked.')
}

export async function guardianPolicy(a: {
  dataDir: string
  vault?: string
  releaseDelay?: string
  expireAfter?: string
  json: boolean
}) {
  const rows = await _withStore(a.dataDir, (db) => {
    const chosen = db
      .vaults()
      .filter(
        (v) =>
          a.vault === undefined || v.label === a.vault || encodeText('vault', v.vaultId).startsWith(a.vault),
      )
    if (a.releaseDelay !== undefined || a.expireAfter !== undefined) {
      if (chosen.length !== 1)
        throw new UsageError(`name exactly one vault (by label or kvault1… id); ${chosen.length} match`)
      db.setPolicy(
        chosen[0]!.vaultId,
        {
          ...(a.releaseDelay !== undefined ? { releaseDelay: parseDuration(a.releaseDelay) } : {}),
          ...(a.expireAfter !== undefined ? { requestTtl: parseDuration(a.expireAfter) } : {}),
        },
        clock(),
      )
    }
    return chosen.map((v) => {
      const now = db.requireVault(v.vaultId)
      return {
        label: v.label,
        vault: encodeText('vault', v.vaultId),
        releaseDelayMs: now.releaseDelay,
        requestTtlMs: now.requestTtl,
      }
    })
  })
  if (a.json) return say(JSON.stringify({ policies: rows }))
  for (const p of rows)
    say(
      `${p.label}: release ${p.releaseDelayMs > 0 ? `${p.releaseDelayMs / 1000}s after approval` : 'at approval'}; requests expire after ${p.requestTtlMs / 3_600_000}h`,
    )
}
