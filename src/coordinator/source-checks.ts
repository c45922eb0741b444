/**
 * Is what a vault backs up really this node's? Each source is checked for what its kind says
 * (docs/format.md §Lightning node files), against the node's own formats: a CLN hsm_secret in one of its
 * forms and the node id it makes, an emergency.recover that opens with that hsm_secret's key and parses,
 * a CLN database with its schema version and the node id it names (the same), an LND channel.backup's
 * framing, any SQLite file. At `add-source` (live files, no integrity check under the node), at every
 * backup (the snapshot copies, before anything is built: a mismatch stores nothing) and in a full drill.
 * What is found is kept as the source's facts, so a later backup of another node's files is refused
 * (SOURCE_MISMATCH) even where a check cannot run again (a hsm_secret sealed with a passphrase kith is
 * not given: its bytes must not change). Facts hold public things only (node ids, counts, versions, a
 * SHA-256 of the hsm_secret file); the hsm_secret's root secret lives in memory for the checks and is
 * wiped after.
 */
import { readFile } from 'node:fs/promises'
import { toHex } from '../crypto/bytes.js'
import { sha256 } from '../crypto/hash.js'
import { checkClnDatabase, checkSqliteFile, type IntegrityCheck } from '../lightning/cln-db.js'
import { openClnEmergencyRecover } from '../lightning/cln-emergency.js'
import { type ClnHsmForm, clnHsmForm, clnHsmNeedsPassphrase, openClnHsmSecret } from '../lightning/cln-hsm.js'
import { SourceMismatchError } from '../lightning/errors.js'
import { parseLndMultiBackup } from '../lightning/lnd-scb.js'
import { countSignerStore } from '../lss/store.js'
import type { SourceKind } from '../replica/manifest-body.js'

/** What a check found in a source (public facts only: stored in the vault's database, shown in status). */
export interface SourceFacts {
  /** One line for status and the drill, e.g. "CLN hsm_secret (mnemonic), node 02ab12…". */
  readonly summary: string
  /** The node id (hex, 33 bytes compressed) an hsm_secret makes or a CLN database names. */
  readonly nodeId?: string
  readonly hsmForm?: ClnHsmForm
  /** SHA-256 of the hsm_secret file: what is compared when its node id cannot be derived (sealed). */
  readonly hsmHash?: string
  /** Channels (emergency.recover: backed up; CLN database: not closed; LND: only when it is none). */
  readonly channels?: number
  /** The channels' peers (emergency.recover), hex node ids. */
  readonly peers?: readonly string[]
  readonly schemaVersion?: number
  /** A SQLite file's page size (what a database is compared with its live copy by, besides the above). */
  readonly pageSize?: number
  /** Why part of the check could not run (a sealed hsm_secret, no hsm_secret to open emergency.recover). */
  readonly unchecked?: string
}

export interface CheckableSource {
  readonly name: string
  readonly kind: SourceKind
  readonly path: string
  /** Where to read it from instead (a backup's snapshot copy of a database). */
  readonly readFrom?: string
}

export interface CheckOptions {
  /** The passphrase of a sealed hsm_secret, when the operator gives it (never stored). */
  readonly hsmPassphrase?: string
  /** For databases: 'none' on live files (the node writes them), 'quick' on snapshot copies. */
  readonly integrity?: IntegrityCheck
  /** What each source was found to be before (by name): a change of node is refused. */
  readonly known?: ReadonlyMap<string, SourceFacts>
}

const short = (hex: string) => `${hex.slice(0, 16)}…`

/**
 * Check every source; their facts by name. Throws SourceMismatchError (or the check's own error: a wrong
 * hsm_secret passphrase) for the first source that is not what it should be.
 */
export async function checkSources(
  sources: readonly CheckableSource[],
  options: CheckOptions = {},
): Promise<Map<string, SourceFacts>> {
  const { facts, failed } = await checkEachSource(sources, options)
  const first = failed.values().next()
  if (!first.done) throw first.value
  return facts
}

/**
 * Check every source on its own: the facts of those that pass, and why each other failed (hsm_secret
 * first, in order). One that fails does not stop the others; a source checked against a failed
 * hsm_secret is held to the node its facts named before.
 */
export async function checkEachSource(
  sources: readonly CheckableSource[],
  options: CheckOptions = {},
): Promise<{ facts: Map<string, SourceFacts>; failed: Map<string, unknown> }> {
  const facts = new Map<string, SourceFacts>()
  const failed = new Map<string, unknown>()
  const known = options.known ?? new Map<string, SourceFacts>()
  let secret: Uint8Array | undefined
  let nodeId: string | undefined
  try {
    // the hsm_secret first: the others are checked against the node it makes
    for (const s of sources.filter((x) => x.kind === 'cln-hsm')) {
      nodeId ??= known.get(s.name)?.nodeId
      try {
        const r = await _hsm(s, options.hsmPassphrase, known.get(s.name))
        facts.set(s.name, r.facts)
        if (r.secret !== undefined) secret ??= r.secret
        nodeId ??= r.facts.nodeId
      } catch (err) {
        failed.set(s.name, err)
      }
    }
    for (const s of sources) {
      if (s.kind === 'cln-hsm') continue
      try {
        const f = await _other(s, { secret, nodeId, integrity: options.integrity ?? 'none' })
        const before = known.get(s.name)?.nodeId
        if (before !== undefined && f.nodeId !== undefined && before !== f.nodeId)
          throw new SourceMismatchError(
            s.name,
            `it names node ${short(f.nodeId)}, where it named node ${short(before)} before`,
            "this node's file",
          )
        facts.set(s.name, f)
      } catch (err) {
        failed.set(s.name, err)
      }
    }
    return { facts, failed }
  } finally {
    secret?.fill(0)
  }
}

async function _hsm(
  s: CheckableSource,
  passphrase: string | undefined,
  before: SourceFacts | undefined,
): Promise<{ facts: SourceFacts; secret?: Uint8Array }> {
  const bytes = await readFile(s.readFrom ?? s.path)
  const hash = toHex(sha256(bytes))
  const form = clnHsmForm(bytes)
  try {
    if (form !== undefined && clnHsmNeedsPassphrase(bytes) && passphrase === undefined) {
      // its node id cannot be derived without the passphrase: its bytes must be the ones checked before
      await openClnHsmSecret(bytes, { source: s.name }).catch((err: unknown) => {
        if (!(err instanceof Error) || (err as { code?: string }).code !== 'PASSPHRASE_NEEDED') throw err
      })
      if (before?.hsmHash !== undefined && before.hsmHash !== hash)
        throw new SourceMismatchError(
          s.name,
          'it changed since it was checked, and it is sealed with a passphrase, so the node it makes cannot be checked: if you re-sealed it, add it again with --hsm-passphrase-file',
          "this node's hsm_secret",
        )
      return {
        facts: {
          summary: `CLN hsm_secret (${form}, sealed)${before?.nodeId ? `, node ${short(before.nodeId)}` : ''}`,
          hsmForm: form,
          hsmHash: hash,
          ...(before?.nodeId !== undefined ? { nodeId: before.nodeId } : {}),
          unchecked: 'sealed with a passphrase: the node id is checked only when it is given',
        },
      }
    }
    const opened = await openClnHsmSecret(bytes, {
      source: s.name,
      ...(passphrase !== undefined ? { passphrase } : {}),
    })
    const id = toHex(opened.nodeId)
    if (before?.nodeId !== undefined && before.nodeId !== id)
      throw new SourceMismatchError(
        s.name,
        `it makes node ${short(id)}, this vault's node is ${short(before.nodeId)}`,
        "this node's hsm_secret",
      )
    return {
      facts: {
        summary: `CLN hsm_secret (${opened.form}), node ${short(id)}`,
        nodeId: id,
        hsmForm: opened.form,
        hsmHash: hash,
      },
      secret: opened.secret,
    }
  } finally {
    bytes.fill(0)
  }
}

async function _other(
  s: CheckableSource,
  ctx: { secret: Uint8Array | undefined; nodeId: string | undefined; integrity: IntegrityCheck },
): Promise<SourceFacts> {
  const path = s.readFrom ?? s.path
  switch (s.kind) {
    case 'cln-emergency': {
      const bytes = await readFile(path)
      if (ctx.secret === undefined)
        return {
          summary: 'CLN emergency.recover (not opened)',
          unchecked:
            ctx.nodeId === undefined
              ? 'no cln-hsm source to open it with: add your hsm_secret as a cln-hsm source'
              : 'the hsm_secret is sealed: it is opened only when its passphrase is given',
        }
      const e = openClnEmergencyRecover(bytes, ctx.secret, s.name)
      const peers = [...new Set(e.channels.map((c) => toHex(c.peerId)))]
      return {
        summary: `CLN emergency.recover, ${e.channels.length} channel(s) with ${peers.length} peer(s)`,
        channels: e.channels.length,
        peers,
        ...(ctx.nodeId !== undefined ? { nodeId: ctx.nodeId } : {}),
      }
    }
    case 'cln-db': {
      const d = checkClnDatabase(path, { source: s.name, integrity: ctx.integrity })
      const id = d.nodeId === undefined ? undefined : toHex(d.nodeId)
      if (id !== undefined && ctx.nodeId !== undefined && id !== ctx.nodeId)
        throw new SourceMismatchError(
          s.name,
          `it names node ${short(id)}, this vault's hsm_secret makes node ${short(ctx.nodeId)}`,
          "this node's CLN database",
        )
      return {
        summary: `CLN database, schema version ${d.schemaVersion}, ${d.channels} channel(s)${id ? `, node ${short(id)}` : ''}`,
        schemaVersion: d.schemaVersion,
        channels: d.channels,
        ...(id !== undefined ? { nodeId: id } : {}),
      }
    }
    case 'lnd-scb': {
      const b = parseLndMultiBackup(await readFile(path), { source: s.name })
      return {
        summary: `LND channel.backup, ${b.channels !== undefined ? b.channels : `up to ${b.maxChannels}`} channel(s) (its contents need the node's seed)`,
        ...(b.channels !== undefined ? { channels: b.channels } : {}),
      }
    }
    case 'signer-store': {
      checkSqliteFile(path, { source: s.name, integrity: ctx.integrity })
      let c: ReturnType<typeof countSignerStore>
      try {
        c = countSignerStore(path)
      } catch {
        throw new SourceMismatchError(s.name, 'it has no signer store tables', "kith's signer store")
      }
      return {
        summary: `signer store, ${c.lssKeys} LSS key(s) of ${c.lssClients} signer(s), ${c.vssObjects} VSS object(s), at write ${c.dataVersion}`,
      }
    }
    case 'sqlite': {
      const f = checkSqliteFile(path, { source: s.name, integrity: ctx.integrity })
      return { summary: `SQLite, ${f.pages} pages of ${f.pageSize} bytes`, pageSize: f.pageSize }
    }
    case 'file':
    case 'dir':
      return { summary: s.kind === 'dir' ? 'directory' : 'file' }
    case 'cln-hsm':
      throw new Error('unreachable: hsm_secret sources are checked first')
  }
}
