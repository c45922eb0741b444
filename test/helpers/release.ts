/**
 * The release files of this checkout (`npm run release` writes them to release/; `npm run test:release`
 * builds them first), and how to run the arm64 one here.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

/** The release file for `arch`, which release/SHA256SUMS must list; throws if it was not built. */
export async function releaseFile(arch: 'x64' | 'arm64'): Promise<string> {
  const name = `kith-${VERSION}-linux-${arch}`
  const path = join(ROOT, 'release', name)
  const sums = join(ROOT, 'release', 'SHA256SUMS')
  if (!existsSync(path) || !existsSync(sums) || !readFileSync(sums, 'utf8').includes(`  ${name}\n`))
    throw new Error(`${path} is not built: run \`npm run release\` (npm run test:release does it first)`)
  return path
}

/** qemu's aarch64 emulator with the arm64 C runtime (scripts/arm64-sysroot.sh); throws if either is missing. */
export async function arm64Runner(): Promise<{ command: string; before: string[] }> {
  const sysroot = join(ROOT, '.cache', 'arm64-sysroot')
  let qemu: string
  try {
    qemu = execFileSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('qemu-aarch64-static is missing: apt-get install qemu-user-static')
  }
  if (!existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1')))
    throw new Error(`${sysroot} has no arm64 C runtime: run scripts/arm64-sysroot.sh`)
  return { command: qemu, before: ['-L', sysroot] }
}
