/**
 * Where a restore's chunks come from: the guardians that hold the version, fetched ahead in parallel,
 * on one fetch session per guardian (requests in a row on one stream). The restore checks each against
 * its id (on its worker threads, with the decryption); a guardian whose bytes fail that check is named
 * and never asked again, and the chunk is asked of another.
 */
import { toHex } from '../crypto/bytes.js'
import { errorFields, type Log, silentLog } from '../log.js'
import { FetchSessions } from '../p2p/fetch-session.js'
import type { KithNode } from '../p2p/node.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import type { ChunkSource } from '../replica/chunk-store.js'
import { ChunkMissingError } from '../replica/errors.js'
import { duration } from '../time/durations.js'
import type { RecoveryTarget } from './targets.js'

/**
 * Chunks from the guardians that hold the version: fetched ahead of the restore in parallel, spread over
 * holders. A guardian that served bytes the restore refused is dropped for the rest of the restore and
 * named. Each holder is asked on a session; a chunk whose session broke is asked once more on a stream
 * of its own, and the next ones on a new session. close() ends the sessions.
 */
export class GuardianChunks implements ChunkSource {
  readonly verifiesIds = false
  private readonly pending = new Map<string, Promise<Uint8Array>>()
  private readonly bad = new Set<string>()
  /** Who gave each chunk handed out and not yet accepted or refused. */
  private readonly givers = new Map<string, RecoveryTarget>()
  private readonly sessions: FetchSessions
  private cursor = 0
  private turn = 0

  constructor(
    node: KithNode,
    private readonly vaultId: Uint8Array,
    private readonly holders: readonly RecoveryTarget[],
    private readonly order: readonly Uint8Array[],
    private readonly onBad: (g: RecoveryTarget, chunk: string) => void,
    /** The recovery's p2p logger: sessions to the holders, and each chunk a holder could not give. */
    private readonly log: Log = silentLog,
    private readonly ahead = 8,
  ) {
    this.sessions = new FetchSessions(node, duration('restoreChunk'), log)
  }

  refused(id: Uint8Array): void {
    const key = toHex(id)
    const g = this.givers.get(key)
    this.givers.delete(key)
    if (g === undefined || this.bad.has(toHex(g.peerId))) return
    this.bad.add(toHex(g.peerId))
    this.onBad(g, key)
  }

  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    const key = toHex(id)
    while (this.cursor < this.order.length && this.pending.size < this.ahead)
      this._start(this.order[this.cursor++]!)
    const p = this.pending.get(key) ?? this._fetch(id)
    this.pending.delete(key)
    return p
  }

  private _start(id: Uint8Array): void {
    const key = toHex(id)
    if (this.pending.has(key)) return
    const p = this._fetch(id)
    p.catch(() => {}) // awaited by get(); never an unhandled rejection while it waits
    this.pending.set(key, p)
  }

  private async _fetch(id: Uint8Array): Promise<Uint8Array> {
    const start = this.turn++
    for (let i = 0; i < this.holders.length; i++) {
      const g = this.holders[(start + i) % this.holders.length]!
      if (this.bad.has(toHex(g.peerId))) continue
      let data: Uint8Array
      try {
        data = await this.sessions.fetch(g, this.vaultId, { what: 'chunk', id })
      } catch (err) {
        // unreachable or refusing for this chunk: the next holder may have it
        this.log.debug({
          event: 'chunk-not-given',
          peer: peerIdFromBytes(g.peerId).toString(),
          ...errorFields(err),
        })
        continue
      }
      this.givers.set(toHex(id), g)
      return data
    }
    throw new ChunkMissingError(toHex(id))
  }

  /** End every session; idempotent. */
  close(): Promise<void> {
    return this.sessions.close()
  }
}
