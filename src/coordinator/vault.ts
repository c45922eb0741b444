/**
 * The operator's vault: its keys (key file), its state (SQLite), its libp2p identity, and the
 * operations on them: open, add guardians (a roster is signed and the data key re-split once the
 * vault has enough), and manage sources. Backup and status live in their own modules.
 */
import { randomBytes } from 'node:crypto'
import { toHex, u64be } from '../crypto/bytes.js'
import { type DataKeys, deriveDataKeys, keyCommitment } from '../crypto/kdf.js'
import { schnorrPublicKey } from '../crypto/schnorr.js'
import { xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { acquireLockWaiting } from '../disk/lock.js'
import { KithError } from '../errors.js'
import { errorFields, type Log, moduleLog, silentLog } from '../log.js'
import { enrollWithInvite, sendRoster } from '../p2p/client.js'
import { InviteExpiredError } from '../p2p/errors.js'
import { inviteFromText } from '../p2p/invite.js'
import type { KithNode } from '../p2p/node.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import { peerIdBytes, peerIdFromBytes } from '../p2p/peers.js'
import { PushSessions } from '../p2p/push-session.js'
import { ownReleaseFile, type ReleaseFile } from '../release/file.js'
import { signRoster } from '../replica/roster.js'
import { splitDataKey } from '../shares/split.js'
import { systemClock } from '../time/clock.js'
import { duration } from '../time/durations.js'
import { newDataKey, sealDataKey } from './create.js'
import { GuardianExistsError, NotEnoughGuardiansError, UnknownGuardianError } from './errors.js'
import { refuseIfFenced } from './fence-record.js'
import { vaultPaths } from './paths.js'
import { openShare, PAPER_SHARE_ID, sealLegacyShares, sealShare } from './sealed-shares.js'
import { CoordinatorStore, type GuardianRow } from './store.js'
import { readKeyFile } from './vault-key-file.js'

/** A journal key's AAD (its text keeps the journal's historical name, as the sealed keys on disk do). */
const _journalAad = (name: string) => new TextEncoder().encode(`kith/stream-key/${name}`)

/** What happened to each guardian during a roster change. */
export interface DeliveryResult {
  readonly label: string
  readonly peerId: string
  readonly ok: boolean
  readonly error?: string
}

export class Vault {
  private node: Promise<KithNode> | undefined
  private sessions: Promise<PushSessions> | undefined
  /** The coordinator's log lines (module `coordinator`): backups, pushes, receipts, commits, fences. */
  readonly log: Log
  /** What the vault's network calls log (module `p2p`): dials, sessions, failed calls. */
  readonly p2pLog: Log
  /** Hears each version pushed to one guardian, offer to receipt, in seconds (`vault watch`'s metrics). */
  onPushed?: (seconds: number) => void
  private ownRelease: Promise<ReleaseFile | undefined> | undefined

  private constructor(
    readonly dir: string,
    readonly db: CoordinatorStore,
    private readonly vaultKey: Uint8Array,
    private readonly kek: Uint8Array,
    readonly now: () => number,
    private readonly release: () => void,
    log: Log,
  ) {
    this.log = moduleLog(log, 'coordinator')
    this.p2pLog = moduleLog(log, 'p2p')
  }

  /**
   * Open the vault. With `lock` (every command that changes it), this process becomes the only one
   * allowed to change it: while another one does (a watch's round, a second command), it waits its turn,
   * saying so once through `onWait`, and after the table's `vaultTurn` gives up with VAULT_BUSY. `log` is
   * the process's logger (silent by default); the vault's parts log through children of it.
   */
  static async open(
    dir: string,
    passphrase?: string,
    options: { lock?: boolean; now?: () => number; log?: Log; onWait?: (pid: number) => void } = {},
  ): Promise<Vault> {
    const paths = vaultPaths(dir)
    const secrets = await readKeyFile(paths.key, dir, passphrase)
    const release =
      options.lock === false
        ? () => {}
        : await acquireLockWaiting(paths.lock, 'vault', duration('vaultTurn'), options.onWait)
    try {
      const db = CoordinatorStore.open(paths.db)
      // shares an older kith kept in the clear are sealed now (only a command that may change the vault)
      if (options.lock !== false) sealLegacyShares(db, secrets.kek)
      const now = options.now ?? systemClock()
      return new Vault(dir, db, secrets.vaultKey, secrets.kek, now, release, options.log ?? silentLog)
    } catch (err) {
      release()
      throw err
    }
  }

  /** The kith release file this process runs (hashed once), or undefined when it runs from source. */
  releaseFile(): Promise<ReleaseFile | undefined> {
    this.ownRelease ??= ownReleaseFile().catch(() => undefined)
    return this.ownRelease
  }

  get vaultId(): Uint8Array {
    return schnorrPublicKey(this.vaultKey)
  }

  /** The data key in force at `epoch`, by default the current one (never logged). */
  private _dataKey(epoch = this.db.settings().epoch): Uint8Array {
    const { fromEpoch, nonce, sealed } = this.db.dataKeyAt(epoch)
    return xchachaOpen(this.kek, nonce, sealed, u64be(fromEpoch), 'data key')
  }

  /** Subkeys for chunks and manifests of `epoch` (a version's), by default the current one (never logged). */
  dataKeys(epoch?: number): DataKeys {
    const key = this._dataKey(epoch)
    try {
      return deriveDataKeys(key)
    } finally {
      key.fill(0)
    }
  }

  /** Record a journal: its key sealed under the key-encryption key, bound to its name. */
  putJournal(s: { name: string; key: Uint8Array; certificate: Uint8Array; source: string }): void {
    const keyNonce = new Uint8Array(randomBytes(24))
    const keySealed = xchachaSeal(this.kek, keyNonce, s.key, _journalAad(s.name))
    this.db.journals.put(
      { name: s.name, keyNonce, keySealed, certificate: s.certificate, source: s.source },
      this.now(),
    )
  }

  /** The keys of the vault's journals (never logged), for the vault state every version carries. */
  journalKeys(): { name: string; key: Uint8Array }[] {
    return this.db.journals.all().map((s) => ({
      name: s.name,
      key: xchachaOpen(this.kek, s.keyNonce, s.keySealed, _journalAad(s.name), 'journal key'),
    }))
  }

  /**
   * Seal one of the vault's own secrets (a signer store's server key) under the key-encryption key,
   * bound to `purpose` and this vault: it opens only where the vault key does (with its passphrase).
   */
  sealSecret(purpose: string, secret: Uint8Array): { nonce: Uint8Array; sealed: Uint8Array } {
    const nonce = new Uint8Array(randomBytes(24))
    return { nonce, sealed: xchachaSeal(this.kek, nonce, secret, this._secretAad(purpose)) }
  }

  openSecret(purpose: string, s: { nonce: Uint8Array; sealed: Uint8Array }): Uint8Array {
    return xchachaOpen(this.kek, s.nonce, s.sealed, this._secretAad(purpose), purpose)
  }

  private _secretAad(purpose: string): Uint8Array {
    return new TextEncoder().encode(`kith/secret/${purpose}/${toHex(this.vaultId)}`)
  }

  /** The vault's signing key, for the modules that sign (never logged). */
  signingKey(): Uint8Array {
    return this.vaultKey
  }

  /**
   * The libp2p node, started once on first use (concurrent callers share it). The network stack is
   * loaded only then: a command that never goes online (`init`, `add-source`, `status --offline`, `kit`)
   * starts in half the time without it.
   */
  network(): Promise<KithNode> {
    this.node ??= Promise.all([
      loadOrCreatePeerKey(vaultPaths(this.dir).peerKey),
      import('../p2p/node.js'),
    ]).then(([privateKey, { createKithNode }]) =>
      createKithNode({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] }),
    )
    return this.node
  }

  /** The push sessions kept open to the guardians, on the node; closed with the vault. */
  pushSessions(): Promise<PushSessions> {
    this.sessions ??= this.network().then((node) => new PushSessions(node, this.p2pLog))
    return this.sessions
  }

  async close(): Promise<void> {
    const started = performance.now()
    const sessions = this.sessions
    this.sessions = undefined
    await sessions?.then(
      (s) => s.close(),
      () => {},
    )
    const node = this.node
    this.node = undefined
    await node?.then(
      (n) => n.stop(),
      () => {},
    )
    this.log.debug({ event: 'vault-closed', ms: Math.round(performance.now() - started) })
    this.db.close()
    this.vaultKey.fill(0)
    this.kek.fill(0)
    this.release()
  }

  /** Members of the current roster. */
  members(): GuardianRow[] {
    return this.db.guardians().filter((g) => g.member)
  }

  // ---- guardians ----

  /**
   * Add guardians by invite. They wait until the vault has max(k, W) guardians; then (and on every
   * later addition) a new epoch's roster is signed, the data key re-split, and each guardian gets its
   * share: new ones by enrolling with their invite, members by a roster update.
   */
  async addGuardians(
    invites: readonly string[],
  ): Promise<{ activated: boolean; needed: number; results: DeliveryResult[] }> {
    const now = this.now()
    const known = new Set(this.db.guardians().map((g) => toHex(g.peerId)))
    const parsed = invites.map((text) => ({ text: text.trim(), invite: inviteFromText(text) }))
    for (const { invite } of parsed) {
      if (invite.expiresAt <= now) throw new InviteExpiredError()
      if (known.has(toHex(invite.peerId)))
        throw new GuardianExistsError(peerIdFromBytes(invite.peerId).toString())
      known.add(toHex(invite.peerId))
    }
    this.db.atomically(() => {
      for (const { text, invite } of parsed) {
        this.db.addInvitedGuardian(
          {
            peerId: invite.peerId,
            addrs: invite.addrs,
            label: invite.label,
            quota: invite.quota,
            invite: text,
            inviteExpires: invite.expiresAt,
          },
          now,
        )
      }
    })
    const s = this.db.settings()
    const needed = Math.max(s.k, s.w)
    const all = this.db.guardians()
    if (all.length < needed) return { activated: false, needed, results: [] }
    await this.newEpoch(all)
    return { activated: true, needed, results: await this.deliverRosters() }
  }

  /**
   * Sign the next epoch's roster naming `guardians`, split the data key for them (a new one when
   * `rotate`), and adopt roster, shares and key in one transaction (with the chain choice `choose` makes
   * for the epoch, if any: heal.ts). For this folder's modules; a command goes through them.
   */
  async newEpoch(
    guardians: readonly GuardianRow[],
    rotate = false,
    choose?: (epoch: number) => Uint8Array,
  ): Promise<void> {
    refuseIfFenced(this.db)
    const s = this.db.settings()
    const need = Math.max(s.k, s.w)
    if (guardians.length < need) throw new NotEnoughGuardiansError(guardians.length, need)
    const epoch = s.epoch + 1
    const dataKey = rotate ? newDataKey() : this._dataKey()
    const node = await this.network()
    // the owner's paper share, when there is one, is the split's last share: n counts it (roster field 9)
    const paper = this.db.paper.enabled() ? 1 : 0
    const roster = signRoster(
      {
        vaultId: s.vaultId,
        epoch,
        k: s.k,
        w: s.w,
        commitment: keyCommitment(dataKey),
        coordinator: peerIdBytes(node.peerId),
        guardians: guardians.map((g) => ({ peerId: g.peerId, addrs: g.addrs, label: g.label })),
        createdAt: this.now(),
        ...(paper ? { paper } : {}),
      },
      this.vaultKey,
    )
    const envelopes = await splitDataKey(dataKey, {
      k: s.k,
      n: guardians.length + paper,
      epoch,
      vaultSecretKey: this.vaultKey,
    })
    // at rest until delivered: sealed under the key-encryption key, like the data keys
    const shares = new Map(
      guardians.map((g, i) => [toHex(g.peerId), sealShare(this.kek, epoch, g.peerId, envelopes[i]!.bytes)]),
    )
    const sealed = rotate ? sealDataKey(this.kek, epoch, dataKey) : undefined
    const paperShare = paper
      ? sealShare(this.kek, epoch, PAPER_SHARE_ID, envelopes.at(-1)!.bytes).sealed
      : undefined
    this.db.adoptRoster(epoch, roster.bytes, shares, this.now(), sealed, choose?.(epoch), paperShare)
    dataKey.fill(0)
    this.log.info({ event: 'epoch', epoch, guardians: guardians.length, newDataKey: rotate })
  }

  /**
   * Remove a guardian: a new epoch without it, under a new data key, split among the rest; the
   * removed guardian is told (it deletes the vault). The caller then backs up, which re-encrypts the
   * current state under the new key. Refused if too few guardians would remain.
   */
  async removeGuardian(peerIdText: string): Promise<{ results: DeliveryResult[]; removedTold: boolean }> {
    const all = this.db.guardians()
    const gone = all.find((g) => peerIdFromBytes(g.peerId).toString() === peerIdText)
    if (gone === undefined) throw new UnknownGuardianError(peerIdText)
    const rest = all.filter((g) => g !== gone)
    await this.newEpoch(rest, true)
    const results = await this.deliverRosters()
    let removedTold = false
    if (gone.member) {
      try {
        const roster = this.db.roster(this.db.settings().epoch)!
        await sendRoster(await this.network(), gone, { roster }, { log: this.p2pLog })
        removedTold = true
      } catch {
        // unreachable or refusing: it keeps only ciphertext under the old key and an old share
      }
    }
    this.db.deleteGuardian(gone.peerId, this.now())
    this.log.info({ event: 'guardian-removed', guardian: gone.label, peer: peerIdText, told: removedTold })
    return { results, removedTold }
  }

  /** A new epoch with the same guardians under a new data key (after a recovery, or on demand). */
  async rotateDataKey(): Promise<DeliveryResult[]> {
    await this.newEpoch(this.members(), true)
    return this.deliverRosters()
  }

  /** The owner's paper share of `epoch`, opened (paper-share.ts), if the split of that epoch has one. */
  paperShareOf(epoch: number): Uint8Array | undefined {
    const stored = this.db.paper.of(epoch)
    return stored === undefined ? undefined : openShare(this.kek, epoch, PAPER_SHARE_ID, stored.sealed)
  }

  /** Give every member that lacks it the current roster and its share; safe to repeat. */
  async deliverRosters(signal?: AbortSignal): Promise<DeliveryResult[]> {
    refuseIfFenced(this.db)
    const s = this.db.settings()
    const roster = this.db.roster(s.epoch)
    if (roster === undefined) return []
    const node = await this.network()
    const pending = this.members().filter((g) => g.deliveredEpoch !== s.epoch && g.share !== null)
    return Promise.all(
      pending.map(async (g): Promise<DeliveryResult> => {
        const peerId = peerIdFromBytes(g.peerId).toString()
        const who = { guardian: g.label, peer: peerId, epoch: s.epoch }
        try {
          const opts = { ...(signal ? { signal } : {}), log: this.p2pLog }
          if (g.invite !== null) {
            await enrollWithInvite(
              node,
              inviteFromText(g.invite),
              { roster, share: openShare(this.kek, s.epoch, g.peerId, g.share!), label: s.name },
              opts,
            )
          } else {
            // the newest chain choice goes along: a guardian that missed the epoch it opened still
            // gets it (one already applied is a no-op there)
            const choice = this.db.newestChoice()
            await sendRoster(
              node,
              g,
              {
                roster,
                share: openShare(this.kek, s.epoch, g.peerId, g.share!),
                ...(choice !== undefined ? { choice } : {}),
              },
              opts,
            )
          }
          this.db.markDelivered(g.peerId, s.epoch, this.now())
          this.log.info({ event: 'roster-delivered', ...who, enrolled: g.invite !== null })
          return { label: g.label, peerId, ok: true }
        } catch (err) {
          this.log.warn({ event: 'roster-not-delivered', ...who, ...errorFields(err) })
          return {
            label: g.label,
            peerId,
            ok: false,
            error: err instanceof KithError ? err.message : String(err),
          }
        }
      }),
    )
  }
}
