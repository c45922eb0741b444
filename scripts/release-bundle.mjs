/**
 * The release's one CommonJS script (docs/release.md §What is in the file), made by esbuild from the
 * compiled JS in dist/: kith's entry (cli/release-main.js) and all it imports, each chunk worker bundled
 * on its own and written in as a string, the version written in, and what some packages would read from
 * files beside them at run time (a WebAssembly module, yargs' locales, a package.json) written in too.
 * It must never leave an absolute path of the build machine, a timestamp or anything but the inputs in
 * the output: two builds from one commit give the same bytes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import * as esbuild from 'esbuild'

/** The chunk workers replica/chunk-workers.ts starts, by name (dist/src/replica/<name>.js). */
const WORKERS = ['seal-worker', 'open-worker']

/** What every bundle shares: Node 24, CommonJS (a single executable application runs CommonJS). */
function _common(root) {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    write: false,
    metafile: false,
    sourcemap: false,
    legalComments: 'inline',
    charset: 'utf8',
    logLevel: 'silent',
  }
}

/** Fail on any warning: each one is something the bundle may get wrong at run time. */
function _refuseWarnings(result, what) {
  if (result.warnings.length === 0) return
  const lines = result.warnings.map(
    (w) => `  ${w.location?.file ?? '?'}:${w.location?.line ?? '?'} ${w.text}`,
  )
  throw new Error(`esbuild warned while bundling ${what}:\n${lines.join('\n')}`)
}

/** Replace `from` (which must occur exactly once) in a package's file, so an upgrade that moves it fails here. */
function _patch(text, from, to, file) {
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(
      `release bundle: ${file} no longer has exactly one ${JSON.stringify(from)}; check the patch`,
    )
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/**
 * Files packages read beside themselves, written into the bundle: tiny-secp256k1's WebAssembly module
 * (read with readFileSync at import), @achingbrain/ssdp's package.json (read with createRequire at
 * import), and yargs' locale files (read by y18n on a first message): all from the bundle itself.
 */
function _embedPlugin(root) {
  const yargs = dirname(createRequire(join(root, 'package.json')).resolve('yargs/package.json'))
  const yargsLocales = join(yargs, 'locales')
  // the y18n yargs imports (its exports name only its CommonJS build, beside the ESM one)
  const y18nCjs = createRequire(join(yargs, 'lib', 'platform-shims', 'esm.mjs')).resolve('y18n')
  const y18nIndex = join(dirname(y18nCjs), 'lib', 'index.js')
  return {
    name: 'kith-release-embed',
    setup(build) {
      build.onLoad({ filter: /[\\/]tiny-secp256k1[\\/]lib[\\/]wasm_loader\.js$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8')
        text = _patch(text, 'import { readFileSync } from "fs";\n', '', args.path)
        text = _patch(text, 'import { path } from "./wasm_path.js";\n', '', args.path)
        text = _patch(
          text,
          'const binary = readFileSync(path("secp256k1.wasm"));',
          'import binary from "./secp256k1.wasm";',
          args.path,
        )
        return { contents: text, loader: 'js', resolveDir: dirname(args.path) }
      })
      build.onLoad({ filter: /[\\/]@achingbrain[\\/]ssdp[\\/]dist[\\/]src[\\/]ssdp\.js$/ }, (args) => {
        const pkg = JSON.parse(readFileSync(join(dirname(args.path), '..', '..', 'package.json'), 'utf8'))
        let text = readFileSync(args.path, 'utf8')
        text = _patch(text, 'const req = createRequire(import.meta.url);\n', '', args.path)
        text = _patch(
          text,
          "req('../../package.json')",
          JSON.stringify({ name: pkg.name, version: pkg.version }),
          args.path,
        )
        return { contents: text, loader: 'js', resolveDir: dirname(args.path) }
      })
      // yargs' y18n: the same messages in the same languages as an npm install, from the bundle; and
      // no package.json looked for from the working folder up (yargs' own --version, which kith answers)
      const fromYargsShim = (args) =>
        /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/.test(args.importer)
      build.onResolve({ filter: /^y18n$/ }, (args) =>
        fromYargsShim(args) ? { path: 'y18n-embedded-locales', namespace: 'kith-release' } : undefined,
      )
      build.onResolve({ filter: /^escalade\/sync$/ }, (args) =>
        fromYargsShim(args) ? { path: 'find-up-nothing', namespace: 'kith-release' } : undefined,
      )
      build.onLoad({ filter: /^find-up-nothing$/, namespace: 'kith-release' }, () => ({
        contents: 'export default () => undefined',
        loader: 'js',
      }))
      build.onLoad({ filter: /^y18n-embedded-locales$/, namespace: 'kith-release' }, () => {
        const locales = {}
        for (const name of readdirSync(yargsLocales)
          .filter((n) => n.endsWith('.json'))
          .sort())
          locales[name] = readFileSync(join(yargsLocales, name), 'utf8')
        const contents = [
          `import { y18n } from ${JSON.stringify(`./${relative(root, y18nIndex).split('\\').join('/')}`)}`,
          "import { format } from 'node:util'",
          `const LOCALES = ${JSON.stringify(locales)}`,
          'const has = (file) => Object.hasOwn(LOCALES, file)',
          'const shim = {',
          '  fs: {',
          '    readFileSync(file) {',
          '      if (has(file)) return LOCALES[file]',
          "      throw Object.assign(new Error(`no yargs locale ${file} in this release`), { code: 'ENOENT' })",
          '    },',
          '    writeFile(_file, _text, cb) { cb(null) },',
          '  },',
          '  format,',
          '  resolve: (_directory, _dot, file) => file,',
          '  exists: has,',
          '}',
          'export default (opts) => y18n({ ...opts, updateFiles: false }, shim)',
        ].join('\n')
        return { contents, loader: 'js', resolveDir: root }
      })
    },
  }
}

/** Each chunk worker as one CommonJS script (it runs with `new Worker(code, { eval: true })`). */
async function _bundleWorkers(root) {
  const code = {}
  for (const name of WORKERS) {
    const result = await esbuild.build({
      ..._common(root),
      entryPoints: [`dist/src/replica/${name}.js`],
    })
    _refuseWarnings(result, name)
    code[name] = result.outputFiles[0].text
  }
  return code
}

/**
 * The release's script: `dist/src/cli/release-main.js` and all it imports, with the workers and the
 * version written in. `import.meta.url`, which a CommonJS script does not have, is the executable's own
 * file URL (a single executable application's `__filename` is the executable).
 */
export async function bundleRelease(root, version) {
  const workers = await _bundleWorkers(root)
  const result = await esbuild.build({
    ..._common(root),
    entryPoints: ['dist/src/cli/release-main.js'],
    define: {
      KITH_RELEASE_VERSION: JSON.stringify(version),
      KITH_EMBEDDED_WORKERS: JSON.stringify(workers),
      'import.meta.url': '__kith_import_meta_url',
    },
    banner: { js: 'var __kith_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    loader: { '.wasm': 'binary' },
    plugins: [_embedPlugin(root)],
  })
  _refuseWarnings(result, 'kith')
  const text = result.outputFiles[0].text
  // the build machine's folders must not be in the file: it would differ from clone to clone
  if (text.includes(root)) throw new Error(`the bundle names the build folder ${root}`)
  return { text, workers: Object.keys(workers) }
}
