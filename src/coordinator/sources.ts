/** The vault's sources: what each backup snapshots (a file, a directory, a SQLite database, …). */
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { InvalidSourceError } from '../replica/errors.js'
import { assertSafeName, SOURCE_KINDS, type SourceKind } from '../replica/manifest-body.js'
import { SourceExistsError, UnknownSourceError } from './errors.js'
import { checkSources, type SourceFacts } from './source-checks.js'
import type { SourceRow } from './store.js'
import type { Vault } from './vault.js'

function _defaultName(kind: SourceKind, path: string): string {
  if (kind === 'cln-hsm') return 'hsm_secret'
  return kind === 'file' || kind === 'dir' || kind === 'sqlite'
    ? basename(path).replace(/[^\w.-]/g, '_') || kind
    : kind
}

const _isKind = (kind: string): kind is SourceKind => kind in SOURCE_KINDS

export async function addSource(
  vault: Vault,
  kind: string,
  path: string,
  name?: string,
  options: { hsmPassphrase?: string } = {},
): Promise<SourceRow & { facts: SourceFacts }> {
  if (!_isKind(kind))
    throw new InvalidSourceError(
      name ?? kind,
      `unknown kind ${kind} (use ${Object.keys(SOURCE_KINDS).join(', ')})`,
    )
  const absolute = resolve(path)
  const source: SourceRow = {
    name: assertSafeName(name ?? _defaultName(kind, absolute)),
    kind,
    path: absolute,
  }
  const st = await stat(absolute).catch(() => undefined) // any failure to stat is "does not exist" below
  if (st === undefined) throw new InvalidSourceError(source.name, `${absolute} does not exist`)
  if ((kind === 'dir') !== st.isDirectory()) {
    throw new InvalidSourceError(
      source.name,
      kind === 'dir' ? `${absolute} is not a directory` : `${absolute} is not a file`,
    )
  }
  const sources = vault.db.sources()
  if (sources.some((x) => x.name === source.name)) throw new SourceExistsError(source.name)
  const same = sources.find((x) => x.path === absolute)
  if (same !== undefined)
    throw new InvalidSourceError(source.name, `${absolute} is already backed up, as source ${same.name}`)
  // what it is, with the others it is checked against (a CLN database against the hsm_secret's node):
  // live files, so no integrity check under the node; a refusal adds nothing
  const facts = await checkSources([...sources, source], {
    known: vault.db.sourceFacts(),
    integrity: 'none',
    ...(options.hsmPassphrase !== undefined ? { hsmPassphrase: options.hsmPassphrase } : {}),
  })
  vault.db.atomically(() => {
    vault.db.addSource(source, vault.now())
    vault.db.setSourceFacts(facts)
  })
  return { ...source, facts: facts.get(source.name)! }
}

export function removeSource(vault: Vault, name: string): void {
  if (!vault.db.removeSource(name, vault.now())) throw new UnknownSourceError(name)
}
