/**
 * `/kith/release-file/1.0.0` (docs/format.md §Release offer) in one process: real guardians on real
 * libp2p and SQLite, a real vault whose coordinator offers its kith release file after a backup, with
 * an ordinary file standing in for the release executable. From the attacker's side too: a lying
 * coordinator (bytes that do not hash to the promise, more bytes than promised, a path for a name)
 * leaves nothing stored and no temp file, a stranger's own node and another vault's coordinator are
 * refused, and a vault's offers are rate limited.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBackup } from '../../src/coordinator/backup.js'
import { releaseOfferUnderWay } from '../../src/coordinator/offer-release.js'
import { Vault } from '../../src/coordinator/vault.js'
import { ReleaseFiles } from '../../src/guardian/release-files.js'
import type { PeerRef } from '../../src/p2p/client.js'
import { offerReleaseFile } from '../../src/p2p/release-offer.js'
import { kithJson } from '../helpers/cli.js'
import { backedUpVault, type LocalGuardian, localFleet } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'
import { fileTempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b
}
/** What a guardian's releases folder holds, temp files included. */
const folder = (g: LocalGuardian) => readdir(join(g.dir, 'releases')).catch(() => [] as string[])
const kept = (g: LocalGuardian) => new ReleaseFiles(g.dir).list()
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: { remoteCode?: string; message?: string }) => err.remoteCode ?? err.message,
  )

describe('a coordinator hands its guardians the kith release file it runs', () => {
  let made: Awaited<ReturnType<typeof backedUpVault>>
  let vault: Vault
  let gs: LocalGuardian[]
  const bytes = randomBytes(2_500_000)
  let release: { name: string; sha256: string; size: number; path: string }
  /** Each guardian as the vault's coordinator reaches it. */
  const ref = (i: number): PeerRef => vault.members().find((m) => m.label === `friend ${i}`)!
  const offer = (name: string, b: Uint8Array, size = b.length) => ({
    vaultId: vault.vaultId,
    name,
    sha256: createHash('sha256').update(b).digest(),
    size,
  })

  beforeAll(async () => {
    made = await backedUpVault(3, 2, 2, fleet)
    gs = made.gs
    const exe = join(await fileTempDir(), 'stand-in')
    await writeFile(exe, bytes)
    release = { name: 'kith-0.1.0-linux-x64', sha256: sha(bytes), size: bytes.length, path: exe }
    vault = await Vault.open(made.dir)
  }, 60_000)

  afterAll(async () => {
    await vault?.close()
  })

  it('a coordinator run from source offers nothing', async () => {
    await made.replace(3000)
    const r = await runBackup(vault)
    expect(r.pushed?.committed).toBe(true)
    for (const g of gs) expect(await folder(g)).toEqual([])
  })

  it('after a committed backup, each guardian keeps the file offered, byte for byte under its hash', async () => {
    await made.replace(3000)
    const r = await runBackup(vault, { release })
    expect(r.pushed?.committed).toBe(true)
    // the backup returned with the offer under way in the background; it ends by itself
    const offering = releaseOfferUnderWay(vault)
    expect(offering).toBeDefined()
    await offering
    expect(releaseOfferUnderWay(vault)).toBeUndefined()
    for (const g of gs) {
      const [k] = await kept(g)
      expect(k).toMatchObject({ name: release.name, sha256: release.sha256, size: release.size })
      expect(k!.sources).toEqual([
        { from: 'vault', vault: Buffer.from(vault.vaultId).toString('hex'), at: expect.any(Number) },
      ])
      expect(Buffer.compare(await readFile(k!.path), bytes)).toBe(0)
    }
  })

  it('a guardian that keeps it answers "have", and nothing is sent again', async () => {
    let read = false
    const node = await vault.network()
    const outcome = await offerReleaseFile(node, ref(0), offer(release.name, bytes), () => {
      read = true
      return once(bytes)
    })
    expect(outcome).toBe('have')
    expect(read).toBe(false)
  })

  it('bytes that do not hash to the promise leave nothing stored and no temp file', async () => {
    const fake = randomBytes(1000)
    const node = await vault.network()
    const lie = { ...offer('kith-0.2.0-linux-x64', fake), sha256: createHash('sha256').update('x').digest() }
    expect(await refusal(offerReleaseFile(node, ref(0), lie, () => once(fake)))).toBe('RELEASE_FILE_REFUSED')
    expect(await folder(gs[0]!)).toEqual([release.sha256])
  })

  it('more bytes than promised are refused, nothing stored and no temp file', async () => {
    const fake = randomBytes(3000)
    const node = await vault.network()
    const lie = offer('kith-0.2.0-linux-x64', fake.subarray(0, 1000))
    expect(await refusal(offerReleaseFile(node, ref(1), lie, () => once(fake)))).toBe('RELEASE_FILE_REFUSED')
    expect(await folder(gs[1]!)).toEqual([release.sha256])
  })

  it('a path for a name is refused before a byte is asked for', async () => {
    const fake = randomBytes(100)
    const node = await vault.network()
    for (const name of ['../../x', 'kith-0.1.0-linux-x64/../../../x', '.bashrc'])
      expect(await refusal(offerReleaseFile(node, ref(2), offer(name, fake), () => once(fake)))).toBe(
        'RELEASE_FILE_REFUSED',
      )
    expect(await folder(gs[2]!)).toEqual([release.sha256])
  })

  it('a vault that offers file after file is refused for a while (2, then 2 an hour)', async () => {
    const node = await vault.network()
    const first = randomBytes(100)
    expect(
      await offerReleaseFile(node, ref(2), offer('kith-0.3.0-linux-x64', first), () => once(first)),
    ).toBe('sent')
    const more = randomBytes(100)
    expect(
      await refusal(offerReleaseFile(node, ref(2), offer('kith-0.4.0-linux-x64', more), () => once(more))),
    ).toBe('RELEASE_FILE_REFUSED')
  })

  it("a stranger's own node cannot offer a release file", async () => {
    const stranger = await strangerNode('127.0.0.3')
    try {
      const fake = randomBytes(100)
      expect(
        await refusal(
          offerReleaseFile(stranger, ref(0), offer('kith-0.5.0-linux-x64', fake), () => once(fake)),
        ),
      ).toBe('UNAUTHORIZED_PEER')
    } finally {
      await stranger.stop()
    }
    expect(await folder(gs[0]!)).toEqual([release.sha256])
  })

  it("another vault's coordinator cannot offer for this vault", async () => {
    // a second vault on the same guardians, with a coordinator of its own
    const other = join(await fileTempDir(), 'other')
    await kithJson('vault', 'init', '-k', '2', '-w', '2', '--data-dir', other)
    const invites = join(await fileTempDir(), 'invites.txt')
    await writeFile(invites, gs.map((g, i) => g.invite(1e9, `friend ${i}`)).join('\n'), { mode: 0o600 })
    await kithJson('vault', 'add-guardian', '--invite-file', invites, '--data-dir', other)
    const theirs = await Vault.open(other)
    try {
      const fake = randomBytes(100)
      const node = await theirs.network()
      expect(
        await refusal(offerReleaseFile(node, ref(0), offer('kith-0.6.0-linux-x64', fake), () => once(fake))),
      ).toBe('UNAUTHORIZED_PEER')
    } finally {
      await theirs.close()
    }
    expect(await folder(gs[0]!)).toEqual([release.sha256])
  }, 30_000)
})
