/**
 * `npm run demo`: the real round trip this release can do, narrated. Split a vault key 3-of-5, back
 * up sample Lightning files as encrypted versions, lose the machine, rebuild the key from 3 shares,
 * restore and compare byte for byte. Prints ids, sizes and counts only: never a key, share or plaintext.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { toHex } from '../crypto/bytes.js'
import { DATA_KEY_LENGTH, deriveDataKeys } from '../crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../crypto/schnorr.js'
import { encodeText } from '../crypto/text.js'
import { KithError } from '../errors.js'
import { buildVersion, type SourceSpec } from '../replica/build.js'
import { DirChunkStore } from '../replica/chunk-store.js'
import { openManifest, verifySuccessor } from '../replica/manifest.js'
import { restoreVersion } from '../replica/restore.js'
import { combineShares } from '../shares/combine.js'
import { shareEnvelopeToText } from '../shares/envelope.js'
import { splitDataKey } from '../shares/split.js'

const say = (line = '') => console.log(line)
const kib = (n: number) => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(1)} KiB`)

async function makeNodeFiles(dir: string): Promise<SourceSpec[]> {
  await mkdir(join(dir, 'lnd'), { recursive: true })
  await mkdir(join(dir, 'cln'), { recursive: true })
  const scb = join(dir, 'lnd', 'channel.backup')
  await writeFile(scb, randomBytes(6 * 1024))
  const dbPath = join(dir, 'cln', 'lightningd.sqlite3')
  const db = new Database(dbPath)
  db.exec('CREATE TABLE channels (id INTEGER PRIMARY KEY, peer BLOB, msat INTEGER)')
  const insert = db.prepare('INSERT INTO channels (peer, msat) VALUES (?, ?)')
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) insert.run(randomBytes(33), i * 1000)
  })()
  db.close()
  const seed = join(dir, 'hsm_secret')
  await writeFile(seed, randomBytes(32), { mode: 0o600 })
  return [
    { name: 'lnd-scb', kind: 'lnd-scb', path: scb },
    { name: 'cln-db', kind: 'sqlite', path: dbPath },
    { name: 'seed', kind: 'file', path: seed },
  ]
}

async function demo(work: string): Promise<void> {
  say('kith demo: the encrypted, k-of-n round trip this release really does.')
  say('(Guardian daemons, the network and the approval ceremony come in later releases.)')
  say()

  say('1. A vault is born.')
  const vaultKey = generateSecretKey()
  const dataKey = new Uint8Array(randomBytes(DATA_KEY_LENGTH))
  const keys = deriveDataKeys(dataKey)
  say(`   vault ID      ${encodeText('vault', schnorrPublicKey(vaultKey))}`)
  say(`   data key      32 random bytes (never printed); commitment ${toHex(keys.commitment).slice(0, 16)}…`)
  say()

  say('2. The data key is split 3-of-5 into signed share envelopes, one per friend.')
  const envelopes = await splitDataKey(dataKey, { k: 3, n: 5, epoch: 1, vaultSecretKey: vaultKey })
  for (const [i, e] of envelopes.entries()) {
    say(
      `   friend ${i + 1}: share #${e.x}, ${e.bytes.length}-byte envelope (paper form: ${shareEnvelopeToText(e).length} characters, not shown)`,
    )
  }
  say()

  const node = join(work, 'node')
  const sources = await makeNodeFiles(node)
  say('3. The node has three things worth saving (sample files in a temp dir):')
  say('   lnd-scb  channel.backup, 6 KiB of random bytes standing in for an LND static channel backup')
  say('   cln-db   lightningd.sqlite3, a real SQLite database with 3000 rows')
  say('   seed     hsm_secret, 32 bytes')
  say()

  const store = new DirChunkStore(join(work, 'chunks'))
  const v1 = await buildVersion({ vaultSecretKey: vaultKey, dataKeys: keys, epoch: 1, sources, store })
  say(
    `4. Version 1: ${v1.newChunks.length} encrypted chunks, ${kib(v1.bytesStored)} stored, manifest ${toHex(v1.manifest.hash).slice(0, 16)}… signed.`,
  )

  const scb = sources[0]!.path
  await writeFile(`${scb}.tmp`, randomBytes(6 * 1024 + 120))
  await rename(`${scb}.tmp`, scb)
  const v2 = await buildVersion({
    vaultSecretKey: vaultKey,
    dataKeys: keys,
    epoch: 1,
    sources,
    store,
    previous: v1.manifest,
  })
  verifySuccessor(v1.manifest, v2.manifest)
  say(
    `5. A channel opens; LND rewrites channel.backup by rename. Version 2: ${v2.newChunks.length} new chunk, ${v2.reusedChunks} reused,`,
  )
  say(`   parent ${toHex(v2.manifest.parent).slice(0, 16)}… = version 1's hash.`)
  say()

  say('6. Disaster: the node machine is gone. Only friends 1, 3 and 5 answer.')
  const [a, , c, , e] = envelopes
  try {
    await combineShares([a!, c!], { vaultId: schnorrPublicKey(vaultKey) })
    throw new Error('two shares rebuilt a key: this must never happen')
  } catch (err) {
    if (!(err instanceof KithError)) throw err
    say(`   with 2 shares kith refuses: ${err.code} (${err.message})`)
  }
  const { key: rebuilt } = await combineShares([a!, c!, e!], { vaultId: schnorrPublicKey(vaultKey) })
  say('   with 3 shares the data key is rebuilt and matches its published commitment.')
  say()

  const out = join(work, 'restored')
  const manifest = openManifest(v2.manifest.bytes, schnorrPublicKey(vaultKey))
  const files = await restoreVersion({
    manifest,
    dataKeys: deriveDataKeys(rebuilt),
    chunks: store,
    outDir: out,
  })
  say(
    `7. Version ${manifest.version} restored: every chunk's hash, tag and keyed hash checked, files written atomically:`,
  )
  let allSame = true
  for (const f of files) {
    const same = Buffer.compare(await readFile(f.written), await readFile(f.origin)) === 0
    allSame &&= same
    say(`   ${same ? 'identical' : 'DIFFERENT'}  ${f.source}/${f.path} (${kib(f.size)})`)
  }
  const db = new Database(join(out, 'cln-db', 'lightningd.sqlite3'), { readonly: true })
  const check = db.pragma('integrity_check', { simple: true })
  db.close()
  say(`   SQLite integrity_check on the restored database: ${String(check)}`)
  say()
  if (!allSame || check !== 'ok') throw new Error('the restored files do not match the originals')
  say('8. Byte-for-byte check passed. Temp files are removed now.')
}

const work = await mkdtemp(join(tmpdir(), 'kith-demo-'))
try {
  await demo(work)
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
} finally {
  await rm(work, { recursive: true, force: true })
}
