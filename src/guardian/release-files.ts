/**
 * The kith release files a guardian keeps for its friends' day of recovery (docs/format.md §Release
 * files): `releases/<sha256>/<name>` beside a `release.json` saying its hash, size, and who brought it.
 * Write-once and content-addressed: bytes are taken into a temp file, hashed as they are written, and
 * renamed into place only when their size and SHA-256 are the ones promised. It never takes a path from
 * the network (a name must match RELEASE_NAME) and never leaves a temp file behind a refusal.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ensurePrivateDir, fsyncDir, PRIVATE_DIR_MODE, writeFileAtomic } from '../disk/atomic.js'
import { errorFields, type Log, silentLog } from '../log.js'
import {
  MAX_RELEASE_FILE_BYTES,
  RELEASE_NAME,
  type ReleaseArch,
  type ReleaseFile,
  releaseArch,
  SHA256_HEX,
} from '../release/file.js'
import { fileBytes, fileSha256 } from '../release/self.js'
import { ReleaseFileRefusedError } from './errors.js'
import { RateLimiter } from './limits.js'

/** Who brought a kept file: this guardian's own executable, or a vault's coordinator (its id, hex). */
export type ReleaseSource = { readonly from: 'self' } | { readonly from: 'vault'; readonly vault: string }

/** A file as kept: what release.json says of it, and where its bytes are. */
export interface KeptRelease {
  readonly name: string
  readonly sha256: string
  readonly size: number
  readonly arch: ReleaseArch
  /** Each source, with when it brought (or first offered) the file; the newest last. */
  readonly sources: readonly (ReleaseSource & { readonly at: number })[]
  readonly path: string
}

/** What is promised before the bytes come: checked before one byte is read. */
export interface ReleaseOffer {
  readonly name: string
  readonly sha256: string
  readonly size: number
}

/**
 * Files kept per source, the newest: for the guardian itself, per architecture; for each vault, in all
 * (its coordinator runs one architecture, and an upgrade brings a new release beside the old one).
 */
export const KEEP_PER_ARCH = 2
/** Room a guardian keeps free beyond a file offered, for the backups it holds (a full disk fails them). */
export const ROOM_RESERVE_BYTES = 1024 * 1024 * 1024
/** The sidecar's name inside each file's folder. */
const SIDECAR = 'release.json'

export class ReleaseFiles {
  readonly dir: string
  /** Files a vault's coordinator may make this guardian write: 2 at once, then 2 an hour. */
  private readonly intake = new RateLimiter(2, 2 / 60)
  /** Commits, source notes, checks and prunes run one at a time. */
  private turn: Promise<unknown> = Promise.resolve()
  /** Temp files of receives under way: check() leaves them be. */
  private readonly receiving = new Set<string>()

  constructor(
    dataDir: string,
    private readonly o: { now: () => number; log?: Log; maxBytes?: number } = { now: Date.now },
  ) {
    this.dir = join(dataDir, 'releases')
  }

  private get _log(): Log {
    return this.o.log ?? silentLog
  }

  private _alone<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn)
    this.turn = next.catch(() => undefined)
    return next
  }

  /** Refuse an offer that cannot be kept, before a byte of it is read. */
  checkOffer(offer: ReleaseOffer): void {
    // the one rule for a name from the network: a release's published name, never a path
    if (!RELEASE_NAME.test(offer.name)) throw new ReleaseFileRefusedError('name')
    if (!SHA256_HEX.test(offer.sha256)) throw new ReleaseFileRefusedError('hash')
    if (!Number.isSafeInteger(offer.size) || offer.size < 1) throw new ReleaseFileRefusedError('size')
    if (offer.size > (this.o.maxBytes ?? MAX_RELEASE_FILE_BYTES))
      throw new ReleaseFileRefusedError('too-large')
  }

  /** Refuse a file the disk has no room for, with ROOM_RESERVE_BYTES left for the backups kept here. */
  async checkRoom(size: number): Promise<void> {
    await ensurePrivateDir(this.dir)
    const fs = await statfs(this.dir)
    if (fs.bavail * fs.bsize < size + ROOM_RESERVE_BYTES) throw new ReleaseFileRefusedError('room')
  }

  /** A vault's coordinator takes one of its tokens for each file it sends (refused: RELEASE_FILE_REFUSED). */
  takeIntake(vault: string): void {
    if (!this.intake.take(vault, this.o.now())) throw new ReleaseFileRefusedError('rate')
  }

  /** The kept file with these bytes, if any. */
  async get(sha256: string): Promise<KeptRelease | undefined> {
    if (!SHA256_HEX.test(sha256)) return undefined
    return this._read(sha256)
  }

  /** Every file kept, newest first (by the last source that brought it). */
  async list(): Promise<KeptRelease[]> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const kept = await Promise.all(names.filter((n) => SHA256_HEX.test(n)).map((n) => this._read(n)))
    const at = (k: KeptRelease) => Math.max(...k.sources.map((s) => s.at))
    return kept.filter((k): k is KeptRelease => k !== undefined).sort((a, b) => at(b) - at(a))
  }

  /**
   * Take `parts` as the file `offer` promises, from `source`: kept only if the bytes are exactly its size
   * and SHA-256; anything else is refused (RELEASE_FILE_REFUSED) and its temp file deleted. A file kept
   * already gains `source` and is not written again.
   */
  async receive(
    offer: ReleaseOffer,
    source: ReleaseSource,
    parts: AsyncIterable<Uint8Array>,
  ): Promise<KeptRelease> {
    this.checkOffer(offer)
    await ensurePrivateDir(this.dir)
    const temp = join(this.dir, `.${randomBytes(8).toString('hex')}.tmp`)
    this.receiving.add(temp)
    const fh = await open(temp, 'wx', 0o600).catch((err: unknown) => {
      this.receiving.delete(temp)
      throw err
    })
    let placed = false
    try {
      const hash = createHash('sha256')
      let size = 0
      for await (const part of parts) {
        size += part.length
        // more than promised is refused as it arrives: nothing past the promise is written
        if (size > offer.size) throw new ReleaseFileRefusedError('size')
        hash.update(part)
        await fh.write(part)
      }
      if (size !== offer.size) throw new ReleaseFileRefusedError('size')
      if (hash.digest('hex') !== offer.sha256) throw new ReleaseFileRefusedError('hash')
      await fh.sync()
      await fh.close()
      return await this._alone(async () => {
        const held = await this._read(offer.sha256)
        if (held !== undefined) return this._noteSource(held, source)
        const folder = join(this.dir, offer.sha256)
        // a folder without its sidecar is a crash's leftover: made again from these verified bytes
        await rm(folder, { recursive: true, force: true })
        await mkdir(folder, { mode: PRIVATE_DIR_MODE })
        await rename(temp, join(folder, offer.name))
        placed = true
        await fsyncDir(folder)
        const kept = await this._writeSidecar(offer, [{ ...source, at: this.o.now() }])
        await fsyncDir(this.dir)
        this._log.info({
          event: 'release-file-kept',
          name: offer.name,
          sha256: offer.sha256,
          size: offer.size,
        })
        return kept
      })
    } finally {
      await fh.close().catch(() => undefined)
      if (!placed) await unlink(temp).catch(() => undefined)
      this.receiving.delete(temp)
    }
  }

  /** Keep a copy of `file` (this guardian's own executable), unless one with its hash is kept already. */
  async keep(file: ReleaseFile, source: ReleaseSource): Promise<KeptRelease> {
    const held = await this.get(file.sha256)
    if (held !== undefined) return this._alone(() => this._noteSource(held, source))
    return this.receive(file, source, fileBytes(file.path))
  }

  /** Note that `source` offered a file kept already (so that its own prune keeps it). */
  async noteSource(sha256: string, source: ReleaseSource): Promise<void> {
    await this._alone(async () => {
      const held = await this._read(sha256)
      if (held !== undefined) await this._noteSource(held, source)
    })
  }

  /**
   * Make the folder true again: temp files and folders without a readable sidecar are deleted, and so is
   * every file whose bytes no longer hash to its name (a disk that rotted, a hand that edited).
   */
  async check(): Promise<void> {
    await this._alone(async () => {
      const names = await readdir(this.dir).catch(() => [] as string[])
      for (const n of names) {
        const path = join(this.dir, n)
        if (n.endsWith('.tmp')) {
          if (!this.receiving.has(path)) await unlink(path).catch(() => undefined)
        } else if (SHA256_HEX.test(n)) {
          const kept = await this._inspect(n)
          // a folder that cannot be read now (its rights, too many open files) is kept for later
          if (kept === 'unreadable') continue
          const reason =
            kept === 'incomplete' ? kept : (await fileSha256(kept.path)) !== kept.sha256 ? 'hash' : null
          if (reason === null) continue
          this._log.warn({ event: 'release-file-dropped', sha256: n, reason })
          await rm(path, { recursive: true, force: true })
        }
      }
    })
  }

  /**
   * Keep the newest KEEP_PER_ARCH files of each vault, and of this guardian per architecture; a file no
   * source keeps is deleted. With `vaults` (hex ids), the files of vaults no longer kept here count for
   * nothing. Run after every file received (handlers/release-file.ts) and at start.
   */
  async prune(vaults?: ReadonlySet<string>): Promise<number> {
    return this._alone(async () => {
      const all = await this.list()
      const keep = new Set<string>()
      const groups = new Map<string, { sha256: string; at: number }[]>()
      for (const k of all)
        for (const s of k.sources) {
          if (s.from === 'vault' && vaults !== undefined && !vaults.has(s.vault)) continue
          const key = s.from === 'vault' ? `vault/${s.vault}` : `self/${k.arch}`
          groups.set(key, [...(groups.get(key) ?? []), { sha256: k.sha256, at: s.at }])
        }
      for (const g of groups.values())
        for (const x of g.sort((a, b) => b.at - a.at).slice(0, KEEP_PER_ARCH)) keep.add(x.sha256)
      const gone = all.filter((k) => !keep.has(k.sha256))
      for (const k of gone) await rm(join(this.dir, k.sha256), { recursive: true, force: true })
      if (gone.length > 0) this._log.info({ event: 'release-files-pruned', count: gone.length })
      return gone.length
    })
  }

  private async _noteSource(held: KeptRelease, source: ReleaseSource): Promise<KeptRelease> {
    if (held.sources.some((s) => _sameSource(s, source))) return held
    return this._writeSidecar(held, [...held.sources, { ...source, at: this.o.now() }])
  }

  private async _writeSidecar(
    f: ReleaseOffer,
    sources: readonly (ReleaseSource & { at: number })[],
  ): Promise<KeptRelease> {
    const doc = { version: 1, name: f.name, sha256: f.sha256, size: f.size, sources }
    await writeFileAtomic(join(this.dir, f.sha256, SIDECAR), `${JSON.stringify(doc)}\n`)
    return { ...f, arch: releaseArch(f.name)!, sources, path: join(this.dir, f.sha256, f.name) }
  }

  /** A folder's sidecar, checked field by field, and its file of that size; undefined if either is not. */
  private async _read(sha256: string): Promise<KeptRelease | undefined> {
    const kept = await this._inspect(sha256)
    return typeof kept === 'string' ? undefined : kept
  }

  /**
   * A folder as _read sees it, or why not: `incomplete` (a sidecar or file missing, malformed, of
   * another size), `unreadable` (an error that says nothing of the folder: rights, open files).
   */
  private async _inspect(sha256: string): Promise<KeptRelease | 'incomplete' | 'unreadable'> {
    const folder = join(this.dir, sha256)
    try {
      const doc: unknown = JSON.parse(await readFile(join(folder, SIDECAR), 'utf8'))
      const kept = _sidecar(doc, sha256, folder)
      if (kept === undefined) return 'incomplete'
      const st = await stat(kept.path)
      return st.isFile() && st.size === kept.size ? kept : 'incomplete'
    } catch (err) {
      if (err instanceof SyntaxError || (err as NodeJS.ErrnoException).code === 'ENOENT') return 'incomplete'
      this._log.warn({ event: 'release-file-unreadable', sha256, ...errorFields(err) })
      return 'unreadable'
    }
  }
}

const _sameSource = (a: ReleaseSource, b: ReleaseSource) =>
  a.from === b.from && (a.from === 'self' || (b.from === 'vault' && a.vault === b.vault))

/** release.json (docs/format.md §Release files), or undefined if any field is not as written. */
function _sidecar(doc: unknown, sha256: string, folder: string): KeptRelease | undefined {
  const d = doc as Record<string, unknown> | null
  if (typeof d !== 'object' || d === null || d['version'] !== 1 || d['sha256'] !== sha256) return undefined
  const { name, size, sources } = d
  if (typeof name !== 'string' || !RELEASE_NAME.test(name)) return undefined
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) return undefined
  if (!Array.isArray(sources) || sources.length === 0) return undefined
  const read: (ReleaseSource & { at: number })[] = []
  for (const s of sources as Record<string, unknown>[]) {
    if (typeof s?.['at'] !== 'number') return undefined
    if (s['from'] === 'self') read.push({ from: 'self', at: s['at'] })
    else if (s['from'] === 'vault' && typeof s['vault'] === 'string' && /^[0-9a-f]{64}$/.test(s['vault']))
      read.push({ from: 'vault', vault: s['vault'], at: s['at'] })
    else return undefined
  }
  return { name, sha256, size, arch: releaseArch(name)!, sources: read, path: join(folder, name) }
}
