/**
 * What this kith is: a release executable (docs/release.md: one file holding Node 24 and kith's bundle)
 * or kith's modules on the machine's own Node (a clone, an npm install), and the release's name and hash.
 * It never reads a file at import; selfHash reads only this process's own executable.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { isSea } from 'node:sea'

/**
 * kith's version, which scripts/release.mjs writes into the release's bundle (an esbuild `define`); it
 * is not declared anywhere else, so outside a release `typeof` finds nothing.
 */
declare const KITH_RELEASE_VERSION: string | undefined

/** The version baked into this bundle, or undefined when kith runs from its modules. */
function _bakedVersion(): string | undefined {
  return typeof KITH_RELEASE_VERSION === 'string' ? KITH_RELEASE_VERSION : undefined
}

/** True in a release executable: a Node single executable application made from kith's bundle. */
export function isRelease(): boolean {
  return _bakedVersion() !== undefined && isSea()
}

/** The release's kith version (`0.1.0`), or undefined outside a release. */
export function releaseVersion(): string | undefined {
  return isRelease() ? _bakedVersion() : undefined
}

/**
 * The release's name as its file was published (`kith-0.1.0-linux-x64`), or undefined outside a
 * release. One bundle serves every architecture, so the platform and architecture are the running
 * Node's, which is the executable's own.
 */
export function releaseName(): string | undefined {
  const version = releaseVersion()
  return version === undefined ? undefined : `kith-${version}-${process.platform}-${process.arch}`
}

/**
 * SHA-256 (hex) of the running executable's file, read as a stream: in a release, the line of
 * release/SHA256SUMS that names it. Outside a release this is the hash of the machine's `node`.
 */
export async function selfHash(options: { signal?: AbortSignal } = {}): Promise<string> {
  return fileSha256(selfPath(), options)
}

/** SHA-256 (hex) of the file at `path`, read as a stream. */
export async function fileSha256(path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const hash = createHash('sha256')
  for await (const block of fileBytes(path, options)) hash.update(block)
  return hash.digest('hex')
}

/** The bytes of the file at `path` as a stream, opened only once they are asked for. */
export async function* fileBytes(
  path: string,
  options: { signal?: AbortSignal } = {},
): AsyncIterable<Uint8Array> {
  for await (const block of createReadStream(path, options.signal ? { signal: options.signal } : {}))
    yield block as Buffer
}

/**
 * The running executable's bytes by path: Linux's /proc/self/exe, which stays the file this process
 * started from when another is installed over it meanwhile (its hash and its bytes then agree); else
 * its path.
 */
export function selfPath(): string {
  return existsSync('/proc/self/exe') ? '/proc/self/exe' : process.execPath
}
