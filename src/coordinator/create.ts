/**
 * Making a vault directory: the key file (the vault key and a fresh key-encryption key), a node identity
 * and the state database with the first data key, all or nothing; never over a directory that already
 * holds a vault. Also the data keys' fresh draw and sealing, which every new epoch uses.
 */
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { u64be } from '../crypto/bytes.js'
import { DATA_KEY_LENGTH } from '../crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../crypto/schnorr.js'
import { xchachaSeal } from '../crypto/xchacha.js'
import { ensurePrivateDir } from '../disk/atomic.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import { InvalidThresholdError } from '../shares/errors.js'
import { assertThreshold } from '../shares/split.js'
import { checkLabel } from '../text.js'
import { VaultExistsError } from './errors.js'
import { vaultPaths } from './paths.js'
import { CoordinatorStore, type SealedDataKey } from './store.js'
import { writeKeyFile } from './vault-key-file.js'

/** Refuse a data dir that already holds a vault (VAULT_EXISTS): nothing is ever written over one. */
export async function refuseExistingVault(dir: string): Promise<void> {
  const taken = await stat(vaultPaths(dir).key).then(
    () => true,
    () => false,
  )
  if (taken) throw new VaultExistsError(dir)
}

export interface InitOptions {
  readonly k: number
  readonly w: number
  readonly name: string
  readonly passphrase?: string
}

/** Create a vault: keys (0600), state, identity. Returns its id (x-only public key). */
export async function initVault(dir: string, opts: InitOptions): Promise<Uint8Array> {
  return createVault(dir, { ...opts, vaultKey: generateSecretKey(), epoch: 0, dataKey: newDataKey() })
}

/**
 * Write a vault directory: the key file (vault key and a fresh key-encryption key), a node identity,
 * and the state database with the data key of `epoch`; `seed` adds more rows in the same transaction.
 * Refuses a directory that already holds a vault. Zeroes the keys it was given.
 */
export async function createVault(
  dir: string,
  opts: InitOptions & { vaultKey: Uint8Array; epoch: number; dataKey: Uint8Array },
  seed?: (store: CoordinatorStore) => void,
): Promise<Uint8Array> {
  const paths = vaultPaths(dir)
  checkLabel(opts.name, "vault's name")
  await refuseExistingVault(dir)
  // W may not exceed n either; n is known only as guardians are added, so W <= 255 here
  // no guardians yet, so no n: a bad k is said as given ("threshold 1 of 1" named an n nobody gave)
  if (!Number.isInteger(opts.k) || opts.k < 2 || opts.k > 255) throw new InvalidThresholdError(opts.k)
  assertThreshold(opts.k, Math.max(opts.k, opts.w))
  await ensurePrivateDir(dir)
  const kek = new Uint8Array(randomBytes(32))
  await writeKeyFile(paths.key, { vaultKey: opts.vaultKey, kek }, opts.passphrase)
  await loadOrCreatePeerKey(paths.peerKey)
  const store = CoordinatorStore.open(paths.db)
  const vaultId = schnorrPublicKey(opts.vaultKey)
  try {
    store.atomically(() => {
      store.createVault({ vaultId, name: opts.name, k: opts.k, w: opts.w, epoch: opts.epoch }, Date.now())
      store.putDataKey(opts.epoch, sealDataKey(kek, opts.epoch, opts.dataKey))
      seed?.(store)
    })
  } finally {
    store.close()
    opts.vaultKey.fill(0)
    opts.dataKey.fill(0)
    kek.fill(0)
  }
  return vaultId
}

/** A fresh random data key (DEK). */
export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(DATA_KEY_LENGTH))
}

/** Seal a data key with the key-encryption key, bound to the epoch it starts at. */
export function sealDataKey(kek: Uint8Array, fromEpoch: number, dataKey: Uint8Array): SealedDataKey {
  const nonce = new Uint8Array(randomBytes(24))
  return { nonce, sealed: xchachaSeal(kek, nonce, dataKey, u64be(fromEpoch)) }
}
