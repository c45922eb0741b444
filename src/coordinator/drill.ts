/**
 * `kith vault drill`: a recovery rehearsal that exposes no key. Each guardian proves it holds its share
 * of the current epoch (an HMAC keyed by the envelope's hash, which the coordinator kept when it split
 * the key) and the newest committed version (hashes of randomly chosen chunks with a fresh nonce, which
 * the coordinator recomputes from its own copy).
 */
import { randomBytes } from 'node:crypto'
import { chunkProof, shareProof } from '../ceremony/drill.js'
import { equalBytes } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { drillGuardian } from '../p2p/client.js'
import { isBadAnswer } from '../p2p/errors.js'
import { DRILL_MAX_CHUNKS } from '../p2p/messages.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import { openHead } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { distrust } from './distrust.js'
import { vaultPaths } from './paths.js'
import type { Vault } from './vault.js'

/** Nothing is committed yet, so there is nothing to rehearse. */
export class NothingCommittedError extends KithError {
  readonly code = 'NOTHING_COMMITTED'
  constructor() {
    super("no version is committed yet: run 'kith vault backup' first")
  }
}

export interface DrillGuardian {
  readonly label: string
  readonly peerId: string
  readonly reachable: boolean
  /** ok: proved; missing: holds no share; wrong: holds another; unknown: no hash kept to check against. */
  readonly share: 'ok' | 'missing' | 'wrong' | 'unknown'
  readonly version: number | null
  readonly chunksChecked: number
  readonly chunksOk: number
  readonly pass: boolean
  readonly error?: string
}

export interface DrillReport {
  readonly version: number
  readonly pass: boolean
  readonly guardians: readonly DrillGuardian[]
}

const ZERO = new Uint8Array(32)

export async function runDrill(vault: Vault, options: { chunks?: number } = {}): Promise<DrillReport> {
  const newest = vault.db.newestCommitted()
  if (newest === undefined) throw new NothingCommittedError()
  const manifest = openManifest(newest.manifest, vault.vaultId)
  const local = new DirChunkStore(vaultPaths(vault.dir).chunks)
  // random chunks of the newest version that this machine can check (it keeps that version's chunks)
  const ids = [...manifest.chunks].map((c) => c.id).sort(() => Math.random() - 0.5)
  const sample: { id: Uint8Array; data: Uint8Array }[] = []
  const want = Math.min(options.chunks ?? 8, DRILL_MAX_CHUNKS)
  for (const id of ids) {
    if (sample.length >= want) break
    const data = await local.get(id)
    if (data !== undefined) sample.push({ id, data })
  }
  const node = await vault.network()
  const guardians = await Promise.all(
    vault.members().map(async (g): Promise<DrillGuardian> => {
      const base = { label: g.label, peerId: peerIdFromBytes(g.peerId).toString() }
      const nonce = new Uint8Array(randomBytes(32))
      try {
        const r = await drillGuardian(
          node,
          g,
          { vaultId: vault.vaultId, nonce, chunks: sample.map((c) => c.id) },
          { signal: AbortSignal.timeout(duration('drill')), log: vault.p2pLog },
        )
        const hash = vault.db.shareHash(g.peerId)
        const share = equalBytes(r.shareProof, ZERO)
          ? 'missing'
          : hash === undefined
            ? 'unknown'
            : equalBytes(r.shareProof, shareProof(hash, nonce))
              ? 'ok'
              : 'wrong'
        const chunksOk = sample.filter((c, i) =>
          equalBytes(r.chunkProofs[i]!, chunkProof(nonce, c.data)),
        ).length
        const version = r.head ? openHead(r.head).version : 0
        return {
          ...base,
          reachable: true,
          share,
          version,
          chunksChecked: sample.length,
          chunksOk,
          pass: share === 'ok' && version >= newest.version && chunksOk === sample.length,
        }
      } catch (err) {
        if (isBadAnswer(err)) distrust(vault, g, 'its drill proofs', err)
        return {
          ...base,
          reachable: false,
          share: 'unknown',
          version: null,
          chunksChecked: sample.length,
          chunksOk: 0,
          pass: false,
          error: err instanceof KithError ? `${err.message} [${err.code}]` : String(err),
        }
      }
    }),
  )
  for (const g of guardians)
    (g.pass ? vault.log.info : vault.log.warn).call(vault.log, {
      event: 'drilled',
      version: newest.version,
      guardian: g.label,
      pass: g.pass,
      share: g.share,
      chunks: `${g.chunksOk}/${g.chunksChecked}`,
      held: g.version,
    })
  vault.db.event('drill', { version: newest.version, pass: guardians.every((g) => g.pass) }, vault.now())
  return { version: newest.version, pass: guardians.every((g) => g.pass), guardians }
}
