/**
 * What a full drill (coordinator/drill-restore.ts) does with each restored file: check it is what its
 * source kind says (`checkRestoredFile`, the one place a kind's check goes), and hold it against the
 * live source (`compareLive`). Results carry facts (sizes, page counts, schema versions, a node id's
 * prefix), never a file's content.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IntegrityCheck } from '../lightning/cln-db.js'
import type { SourceKind } from '../replica/manifest-body.js'
import { type CheckableSource, checkSources, type SourceFacts } from './source-checks.js'

/** A source as the checks know it: its name (how a refusal names the file) and its kind. */
export interface CheckedSource {
  readonly name: string
  readonly kind: SourceKind
}

/** What a check found in a file. */
export interface FileFacts {
  /** One line for the report, e.g. "SQLite, 12 pages of 4096 bytes". */
  readonly summary: string
  /**
   * What a database is compared with its live copy by (its pages change with every write): for CLN's,
   * the schema version and the node id; undefined for files compared by their bytes.
   */
  readonly identity?: {
    readonly schemaVersion?: number
    readonly nodeId?: string
    readonly pageSize?: number
  }
}

/** Database kinds: compared with the live copy by their facts, not their bytes. */
const DATABASES: ReadonlySet<SourceKind> = new Set(['sqlite', 'cln-db', 'signer-store'])

/**
 * Check a restored file (or the live one, with `integrity` 'none': a live database is only read for its
 * facts, never integrity-checked under the node) for what its source kind says, with the vault's other
 * checks (coordinator/source-checks.ts: the one place a kind's check is). `hsm` is the restored
 * hsm_secret, which opens an emergency.recover; `known` what each source was found to be at its last
 * backup (a restored file of another node is refused). Throws what the check throws (SourceMismatchError…).
 */
export async function checkRestoredFile(
  source: CheckedSource,
  restoredPath: string,
  integrity: IntegrityCheck = 'quick',
  context: { hsm?: CheckableSource; known?: ReadonlyMap<string, SourceFacts> } = {},
): Promise<FileFacts> {
  const self = { ...source, path: restoredPath }
  const all = context.hsm !== undefined && context.hsm.name !== source.name ? [context.hsm, self] : [self]
  const facts = (
    await checkSources(all, { integrity, ...(context.known !== undefined ? { known: context.known } : {}) })
  ).get(source.name)!
  return {
    summary: `${facts.summary}${DATABASES.has(source.kind) && integrity !== 'none' ? `, ${integrity === 'full' ? 'integrity' : 'quick'}_check ok` : ''}`,
    ...(DATABASES.has(source.kind)
      ? {
          identity: {
            ...(facts.schemaVersion !== undefined ? { schemaVersion: facts.schemaVersion } : {}),
            ...(facts.nodeId !== undefined ? { nodeId: facts.nodeId } : {}),
            ...(facts.pageSize !== undefined ? { pageSize: facts.pageSize } : {}),
          },
        }
      : {}),
  }
}

/** How a restored file stands against the live source's copy. */
export interface LiveComparison {
  /** same: equal bytes (a database: equal facts); changed: since the version; missing; unreadable. */
  readonly live: 'same' | 'changed' | 'missing' | 'unreadable'
  readonly note: string
}

/**
 * Hold the restored file against the live one at `livePath`. A file is the same when its size and
 * SHA-256 are; a database when its facts are (a database that changed is expected, and not a failure).
 */
export async function compareLive(
  source: CheckedSource,
  restored: { readonly path: string; readonly facts: FileFacts },
  livePath: string,
  version: number,
): Promise<LiveComparison> {
  const st = await stat(livePath).catch(() => undefined)
  if (st === undefined || !st.isFile())
    return { live: 'missing', note: `the live file ${livePath} is missing` }
  if (DATABASES.has(source.kind)) {
    let now: FileFacts
    try {
      now = await checkRestoredFile(source, livePath, 'none')
    } catch (err) {
      const code = (err as { code?: unknown }).code
      return {
        live: 'unreadable',
        note: `the live file is not read as its kind now (${String(code ?? 'error')})`,
      }
    }
    const then = restored.facts.identity ?? {}
    const is = now.identity ?? {}
    const differs: string[] = []
    if (then.nodeId !== is.nodeId)
      differs.push(
        `ANOTHER NODE ID live (${is.nodeId?.slice(0, 16) ?? 'none'}, version ${version}: ${then.nodeId?.slice(0, 16) ?? 'none'})`,
      )
    if (then.schemaVersion !== is.schemaVersion)
      differs.push(`schema version ${is.schemaVersion} live, ${then.schemaVersion} in version ${version}`)
    if (then.pageSize !== is.pageSize)
      differs.push(`page size ${is.pageSize} live, ${then.pageSize} in version ${version}`)
    return differs.length === 0
      ? {
          live: 'same',
          note: 'the live database has the same facts (a database is compared by them, not its bytes)',
        }
      : { live: 'changed', note: differs.join('; ') }
  }
  if (st.size === (await stat(restored.path)).size) {
    const [a, b] = await Promise.all([_sha256(restored.path), _sha256(livePath)])
    if (a === b) return { live: 'same', note: 'the live file is the same (size and SHA-256)' }
  }
  return { live: 'changed', note: `the live file changed since version ${version}` }
}

async function _sha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const piece of createReadStream(path)) h.update(piece as Buffer)
  return h.digest('hex')
}
