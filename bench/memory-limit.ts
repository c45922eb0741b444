/**
 * A memory cgroup a bench makes and removes itself (Linux, root), so processes run with as much memory as
 * a small machine has: Node sizes V8's heap from the memory it finds, a cgroup's limit included, so a
 * daemon's peak there is what a Raspberry Pi with that much RAM would see. cgroup v2 and v1 both.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface MemoryLimit {
  readonly bytes: number
  /** A command and its arguments that run `cmd args` inside the cgroup. */
  wrap(cmd: string, args: readonly string[]): [string, string[]]
  /** Remove the cgroup once its processes have exited (a killed one leaves it a moment later). */
  remove(): Promise<void>
}

/** The directory new memory cgroups go under, or why there is none. */
function _parent(): string | Error {
  if (process.getuid?.() !== 0) return new Error('a memory limit needs root (cgroups)')
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    if (!readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').includes('memory'))
      return new Error('the cgroup v2 root does not delegate the memory controller')
    return '/sys/fs/cgroup'
  }
  // v1: under this process's own memory cgroup
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => /^\d+:memory:/.test(l))
  if (line === undefined) return new Error('no memory cgroup controller here')
  const dir = join('/sys/fs/cgroup/memory', line.slice(line.indexOf(':memory:') + ':memory:'.length))
  return existsSync(dir) ? dir : new Error(`no memory cgroup at ${dir}`)
}

/** A cgroup limited to `bytes`, or an Error saying why it cannot be made here. */
export function memoryLimit(bytes: number): MemoryLimit | Error {
  const parent = _parent()
  if (parent instanceof Error) return parent
  const dir = join(parent, `kith-bench-${process.pid}`)
  try {
    mkdirSync(dir)
    const v2 = existsSync(join(dir, 'memory.max'))
    writeFileSync(join(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(bytes))
  } catch (err) {
    return new Error(`cannot make a memory cgroup: ${(err as Error).message}`)
  }
  return {
    bytes,
    // the shell moves itself into the cgroup, then becomes the command
    wrap: (cmd, args) => ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, cmd, ...args]],
    async remove() {
      for (let tries = 1; ; tries++) {
        try {
          return rmdirSync(dir)
        } catch (err) {
          if (tries >= 50) throw err
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    },
  }
}
