/**
 * `kith recover --resume`: the recovering machine becomes the vault's coordinator (docs/design.md §Recovery
 * path, step 8). The vault key comes back from the encrypted replica; a new epoch under a new data key
 * names this node as coordinator, so guardians fence the old one out (FENCED); the restored files become
 * the sources and their next version is pushed under the new key.
 */

import { join } from 'node:path'
import { equalBytes } from '../crypto/bytes.js'
import { schnorrPublicKey } from '../crypto/schnorr.js'
import { encodeText } from '../crypto/text.js'
import { KithError } from '../errors.js'
import type { Log } from '../log.js'
import type { DoneReport } from '../recovery/done.js'
import type { RecoveryResult } from '../recovery/session.js'
import type { Roster } from '../replica/roster.js'
import { decodeVaultState } from '../replica/vault-state.js'
import { type BackupReport, runBackup } from './backup.js'
import { createVault } from './create.js'
import { recordFinishedRecovery } from './finished-recovery.js'
import { addSource } from './sources.js'
import { type DeliveryResult, Vault } from './vault.js'

/** The restored version carries no vault state (or one of another vault): it cannot be resumed. */
export class NoVaultStateError extends KithError {
  readonly code = 'NO_VAULT_STATE'
  constructor() {
    super(
      "the restored version carries no usable vault key; restore without --resume and run 'kith vault init'",
    )
  }
}

/** What a recovery hands over for `--resume`: the vault's own secrets and its newest state. */
export interface ResumeInput {
  readonly vaultKey: Uint8Array
  readonly name: string
  readonly k: number
  readonly w: number
  /** The newest roster the guardians hold (its signature already verified). */
  readonly roster: Roster
  readonly dataKey: Uint8Array
  /** The newest committed version's manifest (verified), which the next version extends. */
  readonly newest: { version: number; epoch: number; hash: Uint8Array; bytes: Uint8Array; createdAt: number }
  readonly passphrase?: string
}

/**
 * Become the coordinator of a recovered vault in `dir`: the same vault key, the guardians and epoch of
 * the newest roster, the newest version as committed. The caller then rotates the data key, which signs
 * a new epoch naming this node as coordinator: guardians then fence the old one out.
 */
export async function createResumedVault(dir: string, r: ResumeInput): Promise<Uint8Array> {
  const now = Date.now()
  return createVault(
    dir,
    {
      name: r.name,
      k: r.k,
      w: r.w,
      vaultKey: r.vaultKey,
      epoch: r.roster.epoch,
      dataKey: r.dataKey,
      ...(r.passphrase !== undefined ? { passphrase: r.passphrase } : {}),
    },
    (store) => {
      store.importRoster(r.roster.epoch, r.roster.bytes, r.roster.guardians, now)
      store.addVersion({
        version: r.newest.version,
        epoch: r.newest.epoch,
        hash: r.newest.hash,
        manifest: r.newest.bytes,
        createdAt: r.newest.createdAt,
      })
      store.markCommitted(r.newest.version, now)
    },
  )
}

export interface ResumeReport {
  readonly vault: string
  readonly dataDir: string
  readonly epoch: number
  readonly rosters: readonly DeliveryResult[]
  readonly backup: BackupReport
}

export async function resumeAfterRecovery(
  dataDir: string,
  result: RecoveryResult,
  outDir: string,
  passphrase?: string,
  log?: Log,
  finished?: DoneReport,
): Promise<ResumeReport> {
  if (result.body.vaultState === undefined) throw new NoVaultStateError()
  const state = decodeVaultState(result.body.vaultState)
  if (!equalBytes(schnorrPublicKey(state.vaultKey), result.roster.vaultId)) throw new NoVaultStateError()
  const m = result.manifest
  await createResumedVault(dataDir, {
    vaultKey: state.vaultKey,
    name: state.name,
    k: state.k,
    w: state.w,
    roster: result.roster,
    dataKey: new Uint8Array(result.dataKey),
    newest: { version: m.version, epoch: m.epoch, hash: m.hash, bytes: m.bytes, createdAt: m.createdAt },
    ...(passphrase !== undefined ? { passphrase } : {}),
  })
  const vault = await Vault.open(dataDir, passphrase, log ? { log } : {})
  vault.log.info({ event: 'resumed', epoch: vault.db.settings().epoch, version: m.version })
  // the request that got the vault back: status tells the guardians that missed its end, veto refuses it
  if (finished !== undefined)
    recordFinishedRecovery(
      vault,
      finished.done,
      finished.notTold.map((n) => n.guardian),
    )
  try {
    const rosters = await vault.rotateDataKey()
    for (const s of result.body.sources) {
      const path =
        s.kind === 'dir' ? join(outDir, s.name) : result.files.find((f) => f.source === s.name)?.written
      if (path !== undefined) await addSource(vault, s.kind, path, s.name)
    }
    const backup = await runBackup(vault)
    return {
      vault: encodeText('vault', vault.vaultId),
      dataDir,
      epoch: vault.db.settings().epoch,
      rosters,
      backup,
    }
  } finally {
    await vault.close()
  }
}
