/**
 * One version fetched from the guardians that hold it: its manifest, verified (`fetchManifest`), and its
 * files restored with `replica/restore.ts` over `GuardianChunks` (`restoreFromGuardians`). A recovery
 * does this with the data key it rebuilt; the live coordinator's full drill (coordinator/drill-restore.ts)
 * with its own.
 */
import type { DataKeys } from '../crypto/kdf.js'
import { errorFields, type Log } from '../log.js'
import { fetchFromPeer } from '../p2p/client.js'
import type { KithNode } from '../p2p/node.js'
import { type Manifest, openManifest } from '../replica/manifest.js'
import type { ManifestBody } from '../replica/manifest-body.js'
import { type RestoredFile, restoreVersion } from '../replica/restore.js'
import { GuardianChunks } from './chunks.js'
import type { RecoveryTarget } from './targets.js'

/**
 * Version `version`'s manifest from `t`, verified (signature, vault); undefined if it has none or is
 * unreachable (logged at debug), or if what it sent is forged, damaged or another version's (`onBad`).
 */
export async function fetchManifest(
  node: KithNode,
  t: RecoveryTarget,
  vaultId: Uint8Array,
  version: number,
  options: { readonly log: Log; readonly p2pLog: Log; readonly onBad: (why: unknown) => void },
): Promise<Manifest | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await fetchFromPeer(node, t, vaultId, { what: 'manifest', version }, { log: options.p2pLog })
  } catch (err) {
    // not held, or unreachable: the next holder may serve it
    options.log.debug({ event: 'manifest-not-given', guardian: t.label, version, ...errorFields(err) })
    return undefined
  }
  try {
    const m = openManifest(bytes, vaultId)
    if (m.version === version) return m
    options.onBad({
      code: 'VERSION_CHAIN',
      reason: `asked for version ${version}, it sent version ${m.version}`,
    })
  } catch (err) {
    options.onBad(err) // forged, damaged or another vault's: never used
  }
  return undefined
}

export interface GuardianRestore<T extends RecoveryTarget> {
  readonly node: KithNode
  readonly vaultId: Uint8Array
  /** The guardians that hold the version (its manifest matched): asked in turn, each chunk spread over them. */
  readonly holders: readonly T[]
  readonly manifest: Manifest
  /** The manifest's body, opened with `dataKeys`: the chunks in the order the restore reads them. */
  readonly body: ManifestBody
  readonly dataKeys: DataKeys
  readonly outDir: string
  /** A holder served bytes that are not the chunk (`chunk`, hex): it is not asked again. */
  readonly onBad: (g: T, chunk: string) => void
  /** Network lines (sessions to the holders, chunks a holder could not give). */
  readonly p2pLog?: Log
}

/**
 * Restore every file of `manifest` into `outDir` from its holders, in parallel, each chunk checked
 * against its id, decrypted and verified, each file against its size and content hash, written
 * atomically. A chunk no holder serves right: ChunkMissingError.
 */
export async function restoreFromGuardians<T extends RecoveryTarget>(
  o: GuardianRestore<T>,
): Promise<RestoredFile[]> {
  const source = new GuardianChunks(
    o.node,
    o.vaultId,
    o.holders,
    o.body.files.flatMap((f) => f.chunks),
    // GuardianChunks hands back one of `holders`
    (g, chunk) => o.onBad(g as T, chunk),
    o.p2pLog,
  )
  try {
    return await restoreVersion({
      manifest: o.manifest,
      dataKeys: o.dataKeys,
      chunks: source,
      outDir: o.outDir,
    })
  } finally {
    await source.close()
  }
}
