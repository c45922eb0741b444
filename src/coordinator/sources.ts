/** The vault's sources: what each backup snapshots (a file, a directory, a SQLite database, …). */
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { InvalidSourceError } from '../replica/errors.js'
import { assertSafeName, SOURCE_KINDS, type SourceKind } from '../replica/manifest-body.js'
import { SourceExistsError, UnknownSourceError } from './errors.js'
import type { SourceRow } from './store.js'
import type { Vault } from './vault.js'

function _defaultName(kind: SourceKind, path: string): string {
  return kind === 'file' || kind === 'dir' || kind === 'sqlite'
    ? basename(path).replace(/[^\w.-]/g, '_') || kind
    : kind
}

const _isKind = (kind: string): kind is SourceKind => kind in SOURCE_KINDS

export async function addSource(vault: Vault, kind: string, path: string, name?: string): Promise<SourceRow> {
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
  if (vault.db.sources().some((x) => x.name === source.name)) throw new SourceExistsError(source.name)
  vault.db.addSource(source, vault.now())
  return source
}

export function removeSource(vault: Vault, name: string): void {
  if (!vault.db.removeSource(name, vault.now())) throw new UnknownSourceError(name)
}
