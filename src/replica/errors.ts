/** Errors of the replica layer: chunks, versions, restores. Facts carry ids (hex prefixes) and paths. */
import { KithError } from '../errors.js'

/** A chunk whose bytes do not hash to its id, or that fails authentication, or whose nonce is wrong. */
export class ChunkIntegrityError extends KithError {
  readonly code = 'CHUNK_INTEGRITY'
  constructor(
    readonly chunkId: string,
    readonly reason: 'hash' | 'format' | 'decrypt' | 'nonce',
  ) {
    super(`chunk ${chunkId.slice(0, 16)} failed verification (${reason})`, { chunk: chunkId, reason })
  }
}

export class ChunkMissingError extends KithError {
  readonly code = 'CHUNK_MISSING'
  constructor(readonly chunkId: string) {
    super(`chunk ${chunkId.slice(0, 16)} is not available from any source`, { chunk: chunkId })
  }
}

/** A manifest that does not extend its parent: wrong version step, parent hash, vault or epoch. */
export class VersionChainError extends KithError {
  readonly code = 'VERSION_CHAIN'
  constructor(reason: 'version' | 'parent' | 'vault' | 'epoch', expected: string, got: string) {
    super(`version chain broken (${reason}): expected ${expected}, got ${got}`, { reason, expected, got })
  }
}

/** A restored file whose length or content hash differs from its manifest entry. */
export class FileIntegrityError extends KithError {
  readonly code = 'FILE_INTEGRITY'
  constructor(path: string, reason: 'size' | 'hash') {
    super(`restored ${path} does not match its manifest (${reason}); nothing was written`, { path, reason })
  }
}

/** A manifest path that would escape the restore directory or is otherwise unsafe. */
export class UnsafePathError extends KithError {
  readonly code = 'UNSAFE_PATH'
  constructor(path: string) {
    super(`refusing unsafe path in manifest: ${JSON.stringify(path.slice(0, 200))}`, {
      path: path.slice(0, 200),
    })
  }
}

/** A manifest signed by a different vault than the one expected. */
export class WrongVaultError extends KithError {
  readonly code = 'WRONG_VAULT'
  constructor(record: string) {
    super(`this ${record} belongs to a different vault`, { record })
  }
}

/** A source that cannot be backed up as given (missing, wrong type, failing its kind's checks). */
export class InvalidSourceError extends KithError {
  readonly code = 'INVALID_SOURCE'
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`source ${source}: ${reason}`, { source, reason })
  }
}

/** "Evidence" of equivocation that does not prove anything (not two signed heads of one version). */
export class EquivocationEvidenceError extends KithError {
  readonly code = 'INVALID_EVIDENCE'
  constructor() {
    super('equivocation evidence must be two vault-signed heads of one version naming different manifests')
  }
}
