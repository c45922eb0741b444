/**
 * A bare Linux machine for the release file: a folder holding the executable, the C and C++ runtime
 * libraries it links to (what every Debian has, from `ldd`), empty /tmp and /home, and nothing else: no
 * Node, no npm, no node_modules, no shell. A command runs there chrooted, in mount and PID namespaces of
 * its own (the host's /dev/null, /dev/urandom, /dev/random and /dev/zero bound in, its own /proc), on
 * the host's network, so guardians the test starts on 127.0.0.1 are reachable. Needs root.
 */
import { execFileSync } from 'node:child_process'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import type { RecoverLaunch } from './daemons.js'

const DEVICES = ['null', 'urandom', 'random', 'zero']

/** The shared libraries `exe` loads, as absolute paths on this machine (the loader among them). */
function _libraries(exe: string): string[] {
  const out = execFileSync('ldd', [exe], { encoding: 'utf8' })
  return [...out.matchAll(/(?:=> )?(\/[^\s]+) \(0x[0-9a-f]+\)/g)].map((m) => m[1]!)
}

/** Make the machine at `root` with `exe` as /kith; returns every file in it, relative to it. */
export async function bareMachine(root: string, exe: string): Promise<string[]> {
  for (const d of ['tmp', 'home', 'proc', 'dev']) await mkdir(join(root, d), { recursive: true, mode: 0o755 })
  for (const d of DEVICES) await writeFile(join(root, 'dev', d), '')
  await copyFile(exe, join(root, 'kith'))
  execFileSync('chmod', ['0755', join(root, 'kith')])
  for (const lib of _libraries(exe)) {
    await mkdir(join(root, dirname(lib)), { recursive: true })
    await copyFile(lib, join(root, lib))
  }
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort()
}

/** `/kith` with the arguments that follow, on the machine at `root`, with only HOME=/home set. */
export function onBareMachine(root: string): RecoverLaunch {
  const binds = DEVICES.map((d) => `mount --bind /dev/${d} "$R/dev/${d}"`).join('; ')
  return {
    command: 'unshare',
    before: [
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--',
      'sh',
      '-c',
      `set -e; R=$0; ${binds}; mount -t proc proc "$R/proc"; C=$(command -v chroot); exec env -i HOME=/home "$C" "$R" /kith "$@"`,
      root,
    ],
  }
}
