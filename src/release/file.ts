/**
 * A kith release file as guardians keep it and coordinators offer it (docs/format.md §Release files):
 * its published name, its SHA-256 and size, and where its bytes are on this machine. The name is checked
 * by one strict pattern, so a name from the network can never be a path. It never reads a file but the
 * running executable, and only when asked.
 */
import { stat } from 'node:fs/promises'
import { isRelease, releaseName, selfHash, selfPath } from './self.js'

/** A release file: its published name, the SHA-256 (hex) and size of its bytes, and its path here. */
export interface ReleaseFile {
  readonly name: string
  readonly sha256: string
  readonly size: number
  readonly path: string
}

/** `kith-<version>-linux-<arch>`: the published names (docs/release.md); no `/`, no `..`, no leading dot. */
export const RELEASE_NAME = /^kith-[0-9][0-9A-Za-z.+-]{0,39}-linux-(x64|arm64)$/

/** SHA-256 as release/SHA256SUMS writes it: 64 lowercase hex digits. */
export const SHA256_HEX = /^[0-9a-f]{64}$/

/** The largest release file a guardian takes or keeps: a release is about 120 MiB. */
export const MAX_RELEASE_FILE_BYTES = 256 * 1024 * 1024

export type ReleaseArch = 'x64' | 'arm64'

/** The architecture a release name is for, or undefined when the name is not a release's. */
export function releaseArch(name: string): ReleaseArch | undefined {
  const m = RELEASE_NAME.exec(name)
  return m === null ? undefined : (m[1] as ReleaseArch)
}

/**
 * This process's own executable as a release file, or undefined when kith runs from its modules. Reads
 * (hashes) the whole executable: callers do it once per process and in the background.
 */
export async function ownReleaseFile(
  options: { signal?: AbortSignal } = {},
): Promise<ReleaseFile | undefined> {
  const name = releaseName()
  if (!isRelease() || name === undefined || releaseArch(name) === undefined) return undefined
  const path = selfPath()
  const [sha256, st] = await Promise.all([selfHash(options), stat(path)])
  return { name, sha256, size: st.size, path }
}
