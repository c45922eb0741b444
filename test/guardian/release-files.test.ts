/**
 * The release files a guardian keeps (docs/format.md §Release files), on real files in temp dirs: bytes
 * are kept only when they are the size and SHA-256 promised, a refusal leaves no file and no temp file,
 * a name from the network is never a path, the newest two of each vault (and of the guardian's own, per
 * architecture) are kept, the disk keeps room for the backups, and a
 * file whose bytes rotted on disk is dropped. Also the guardian that keeps its own executable, with an
 * ordinary file standing in for it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ReleaseFiles } from '../../src/guardian/release-files.js'
import { Guardian } from '../../src/guardian/service.js'
import { tempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
async function* inParts(b: Uint8Array, part = 1000): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += part) yield b.subarray(i, i + part)
}
const offerOf = (name: string, b: Uint8Array) => ({ name, sha256: sha(b), size: b.length })
const VAULT = { from: 'vault', vault: 'ab'.repeat(32) } as const

/** What is left in the releases folder, temp files included. */
const leftIn = async (files: ReleaseFiles) => readdir(files.dir).catch(() => [] as string[])

describe('release files at a guardian', () => {
  it('keeps the bytes offered, byte for byte, under their hash, 0700 and 0600', async () => {
    const files = new ReleaseFiles(await tempDir())
    const bytes = randomBytes(10_000)
    const kept = await files.receive(offerOf('kith-0.1.0-linux-x64', bytes), VAULT, inParts(bytes))
    expect(kept.path).toBe(join(files.dir, sha(bytes), 'kith-0.1.0-linux-x64'))
    expect(Buffer.compare(await readFile(kept.path), bytes)).toBe(0)
    expect((await stat(files.dir)).mode & 0o777).toBe(0o700)
    expect((await stat(join(files.dir, sha(bytes)))).mode & 0o777).toBe(0o700)
    expect((await stat(kept.path)).mode & 0o777).toBe(0o600)
    const sidecar = JSON.parse(await readFile(join(files.dir, sha(bytes), 'release.json'), 'utf8'))
    expect(sidecar).toMatchObject({
      version: 1,
      name: 'kith-0.1.0-linux-x64',
      sha256: sha(bytes),
      size: 10_000,
    })
    expect(sidecar.sources).toEqual([{ from: 'vault', vault: 'ab'.repeat(32), at: expect.any(Number) }])
    expect((await files.list()).map((k) => k.name)).toEqual(['kith-0.1.0-linux-x64'])
  })

  it('bytes that do not hash to the promise leave nothing stored and no temp file', async () => {
    const files = new ReleaseFiles(await tempDir())
    const bytes = randomBytes(5000)
    const lie = { ...offerOf('kith-0.1.0-linux-x64', bytes), sha256: sha(randomBytes(8)) }
    await expect(files.receive(lie, VAULT, inParts(bytes))).rejects.toMatchObject({
      code: 'RELEASE_FILE_REFUSED',
      facts: { reason: 'hash' },
    })
    expect(await leftIn(files)).toEqual([])
  })

  it('more bytes than promised are refused as they arrive; fewer too', async () => {
    const files = new ReleaseFiles(await tempDir())
    const bytes = randomBytes(5000)
    const offer = offerOf('kith-0.1.0-linux-x64', bytes.subarray(0, 4000))
    await expect(files.receive(offer, VAULT, inParts(bytes))).rejects.toMatchObject({
      facts: { reason: 'size' },
    })
    const short = offerOf('kith-0.1.0-linux-x64', bytes)
    await expect(files.receive(short, VAULT, inParts(bytes.subarray(0, 4000)))).rejects.toMatchObject({
      facts: { reason: 'size' },
    })
    expect(await leftIn(files)).toEqual([])
  })

  it('a name that is a path, or not a release, is refused before a byte is read', async () => {
    const files = new ReleaseFiles(await tempDir())
    const bytes = randomBytes(100)
    let read = false
    const parts = (async function* () {
      read = true
      yield bytes
    })()
    for (const name of [
      '../../x',
      'kith-0.1.0-linux-x64/../../x',
      '.kith-0.1.0-linux-x64',
      'kith-0.1.0-darwin-x64',
      'ls',
    ])
      await expect(files.receive(offerOf(name, bytes), VAULT, parts)).rejects.toMatchObject({
        facts: { reason: 'name' },
      })
    expect(read).toBe(false)
    expect(await leftIn(files)).toEqual([])
  })

  it('a file over the size cap is refused before a byte is read', async () => {
    const files = new ReleaseFiles(await tempDir(), { now: Date.now, maxBytes: 1000 })
    const bytes = randomBytes(1001)
    await expect(
      files.receive(offerOf('kith-0.1.0-linux-x64', bytes), VAULT, inParts(bytes)),
    ).rejects.toMatchObject({
      facts: { reason: 'too-large' },
    })
    expect(await leftIn(files)).toEqual([])
  })

  it('keeps the newest two of each vault, and of the guardian itself per architecture', async () => {
    let clock = 1000
    const files = new ReleaseFiles(await tempDir(), { now: () => clock })
    const made: string[] = []
    for (const v of ['0.1.0', '0.2.0', '0.3.0']) {
      const b = randomBytes(200)
      clock += 1000
      made.push((await files.receive(offerOf(`kith-${v}-linux-x64`, b), VAULT, inParts(b))).sha256)
    }
    const arm = randomBytes(200)
    clock += 1000
    await files.receive(offerOf('kith-0.1.0-linux-arm64', arm), VAULT, inParts(arm))
    const own = randomBytes(200)
    clock = 10
    await files.receive(offerOf('kith-0.0.9-linux-x64', own), { from: 'self' }, inParts(own))
    // a vault's coordinator brings at most two files to the guardian's disk, whatever their machines
    expect(await files.prune()).toBe(2)
    const names = (await files.list()).map((k) => k.name).sort()
    expect(names).toEqual(['kith-0.0.9-linux-x64', 'kith-0.1.0-linux-arm64', 'kith-0.3.0-linux-x64'])
    // a vault no longer kept here keeps nothing
    await files.prune(new Set())
    expect((await files.list()).map((k) => k.name)).toEqual(['kith-0.0.9-linux-x64'])
  })

  it('a file the disk has no room for, beside a reserve for the backups, is refused before a byte is read', async () => {
    const files = new ReleaseFiles(await tempDir())
    await expect(files.checkRoom(2 ** 50)).rejects.toMatchObject({
      code: 'RELEASE_FILE_REFUSED',
      facts: { reason: 'room' },
    })
    await files.checkRoom(1000)
  })

  it('a kept file whose bytes changed on disk is dropped at the check', async () => {
    const files = new ReleaseFiles(await tempDir())
    const bytes = randomBytes(300)
    const kept = await files.receive(offerOf('kith-0.1.0-linux-x64', bytes), VAULT, inParts(bytes))
    const rotten = Buffer.from(bytes)
    rotten[7]! ^= 1
    await writeFile(kept.path, rotten)
    await files.check()
    expect(await files.list()).toEqual([])
    expect(await leftIn(files)).toEqual([])
  })

  it('a guardian running as a release keeps its own file in the background, once', async () => {
    const dir = await tempDir()
    const exe = join(dir, 'stand-in')
    const bytes = randomBytes(50_000)
    await writeFile(exe, bytes)
    const release = { name: 'kith-0.1.0-linux-arm64', sha256: sha(bytes), size: bytes.length, path: exe }
    const data = join(dir, 'g')
    for (let run = 0; run < 2; run++) {
      const g = new Guardian({ dataDir: data, listen: ['/ip4/127.0.0.1/tcp/0'], release })
      await g.start()
      await g.keptOwnRelease
      await g.stop()
    }
    const files = new ReleaseFiles(data)
    const kept = await files.list()
    expect(kept).toHaveLength(1)
    expect(kept[0]!.sources).toEqual([{ from: 'self', at: expect.any(Number) }])
    expect(Buffer.compare(await readFile(kept[0]!.path), bytes)).toBe(0)
  })

  it('a guardian run from source keeps nothing; one whose file cannot be read starts all the same', async () => {
    const dir = await tempDir()
    const lines: string[] = []
    const release = {
      name: 'kith-0.1.0-linux-x64',
      sha256: 'aa'.repeat(32),
      size: 10,
      path: join(dir, 'gone'),
    }
    const g = new Guardian({ dataDir: join(dir, 'g'), onEvent: (l) => lines.push(l), release })
    await g.start()
    await waitUntil(() => lines.some((l) => l.includes('could not keep a copy of this kith release')))
    expect(g.peerId).toMatch(/^12D3/)
    await g.stop()
    const plain = new Guardian({ dataDir: join(dir, 'h') })
    await plain.start()
    await plain.keptOwnRelease
    await plain.stop()
    expect(await leftIn(new ReleaseFiles(join(dir, 'h')))).toEqual([])
  })
})
