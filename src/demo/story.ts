/**
 * `npm run demo`: the whole story with real processes, narrated, in about a minute.
 * Five friends run guardian daemons on 127.0.0.1; your node's vault is 3-of-5 with W=4; its LND
 * `channel.backup` changes a few times (replaced by rename, as LND does) and every version is pushed;
 * status; then disaster: the node's kith directory is deleted and two friends are offline; recovery with
 * three approvals, each friend comparing their code; a byte-for-byte check; everything stopped and
 * removed. Prints ids, codes and sizes only: never a key, share or file content. Exits 1 if a step fails.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { nextSteps } from '../recovery/next-steps.js'
import type { RecoveryEvent } from '../recovery/session.js'
import type { SourceKind } from '../replica/manifest-body.js'

const run = promisify(execFile)
const CLI = join(import.meta.dirname, '..', 'cli', 'main.js')
/** The demo's release delay, set on purpose (a guardian's default is 24 h). */
const DEMO_RELEASE_DELAY_S = 3
const FRIENDS = ['Bob', 'Carol', 'Dave', 'Erin', 'Frank'] as const

const t0 = Date.now()
const say = (line = '') => console.log(line)
const step = (n: number, title: string) => {
  say()
  say(`${n}. ${title}  [${((Date.now() - t0) / 1000).toFixed(1)} s]`)
}

async function kith(...args: string[]): Promise<string> {
  try {
    return (await run(process.execPath, [CLI, ...args])).stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`kith ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).trim()}`)
  }
}

class Friend {
  proc: ChildProcess | undefined
  peerId = ''
  constructor(
    readonly name: string,
    readonly dir: string,
  ) {}

  async start(): Promise<void> {
    const made = await kith(
      'guardian',
      'init',
      '--data-dir',
      this.dir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--json',
    )
    this.peerId = (JSON.parse(made) as { peerId: string }).peerId
    // five guardians on one machine: no local page each (they would share its port)
    const proc = spawn(process.execPath, [CLI, 'guardian', 'start', '--data-dir', this.dir, '--no-web'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.proc = proc
    await new Promise<void>((resolve, reject) => {
      let out = ''
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('listening on')) resolve()
      })
      proc.once('exit', () => reject(new Error(`${this.name}'s guardian exited:\n${out}`)))
    })
  }

  async stop(): Promise<void> {
    const proc = this.proc
    this.proc = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    await exited
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kith-demo-'))
  const friends = FRIENDS.map((name) => new Friend(name, join(work, `guardian-${name.toLowerCase()}`)))
  let recovering: ChildProcess | undefined
  try {
    say("kith: your Lightning node's backups, kept safe by five friends.")

    step(1, 'Five friends each start a guardian daemon (on 127.0.0.1, in temp dirs)')
    await Promise.all(friends.map((f) => f.start()))
    for (const f of friends) say(`   ${f.name.padEnd(6)} guardian ${f.peerId.slice(0, 16)}… is running`)

    step(2, 'You create a vault: any 3 of the 5 can restore it; a version counts once 4 hold it')
    const vaultDir = join(work, 'node', 'kith-vault')
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', vaultDir, '--json']
    const made = JSON.parse(await kith(...v('init', '-k', '3', '-w', '4', '--name', 'my node')))
    say(`   vault ${made.vault.slice(0, 24)}… (its key file is mode 0600; nothing leaves unencrypted)`)
    const invites = await Promise.all(
      friends.map(
        async (f) =>
          JSON.parse(
            await kith(
              'guardian',
              'invite',
              '--data-dir',
              f.dir,
              '--label',
              f.name,
              '--quota',
              '100MiB',
              '--release-delay',
              `${DEMO_RELEASE_DELAY_S}s`,
              '--json',
            ),
          ).invite as string,
      ),
    )
    say('   each friend sends you a one-time invite; you add all five:')
    say(
      `   (in this demo each guardian releases its share ${DEMO_RELEASE_DELAY_S} s after its human approves; a real guardian waits 24 h by default, so you could veto a recovery that is not you)`,
    )
    // invites are secrets: from a file (0600), never on the command line where ps would show them
    const inviteFile = join(work, 'invites.txt')
    await writeFile(inviteFile, `${invites.join('\n')}\n`, { mode: 0o600 })
    const added = JSON.parse(await kith(...v('add-guardian', '--invite-file', inviteFile)))
    say(
      `   ${added.results.filter((r: { ok: boolean }) => r.ok).length} guardians enrolled, each with its own share of the data key`,
    )

    step(3, "Your node's files: a channel.backup and CLN's hsm_secret seed")
    const nodeDir = join(work, 'node')
    const scb = join(nodeDir, 'channel.backup')
    const hsm = join(nodeDir, 'hsm_secret')
    await writeFile(scb, randomBytes(4096))
    await writeFile(hsm, randomBytes(32), { mode: 0o600 })
    await kith(...v('add-source', 'lnd-scb', scb))
    const seed = JSON.parse(await kith(...v('add-source', 'cln-hsm', hsm)))
    say(`   the hsm_secret is checked as CLN reads it: it makes node ${seed.checked.nodeId.slice(0, 16)}…`)
    for (let i = 1; i <= 3; i++) {
      if (i > 1) {
        // like LND: a new file, renamed over the old one, whenever a channel opens or closes
        await writeFile(`${scb}.tmp`, randomBytes(4096 + 200 * i))
        await rename(`${scb}.tmp`, scb)
        say(`   a channel ${i === 2 ? 'opened' : 'closed'}: LND replaced channel.backup`)
      }
      const b = JSON.parse(await kith(...v('backup')))
      say(
        `   version ${b.pushed.version} encrypted, signed and committed: ${b.pushed.receipts} of 5 guardians confirmed it durably`,
      )
    }

    step(4, 'How safe are you?')
    const status = JSON.parse(await kith(...v('status')))
    const holding = status.guardians.filter((g: { version: number }) => g.version >= status.committedVersion)
    say(
      `   ${status.verdict.toUpperCase()}: version ${status.committedVersion} is held by ${holding.length} of 5 guardians, each with its share`,
    )
    await kith(...v('kit', '--out', join(work, 'recovery-kit')))
    say(
      "   you print the recovery kit (guardians' names and addresses; no secrets) and keep it with your seed",
    )
    const original = { scb: await readFile(scb), hsm: await readFile(hsm) }

    step(5, "Disaster: your node's disk dies, and Erin and Frank are offline today")
    await rm(nodeDir, { recursive: true, force: true })
    await Promise.all([friends[3]!.stop(), friends[4]!.stop()])
    say('   the vault directory, keys and files are gone; only the paper kit remains')

    step(6, 'On a new machine: kith recover --kit recovery-kit.txt --out restored')
    const out = join(work, 'new-machine', 'restored')
    recovering = spawn(
      process.execPath,
      [CLI, 'recover', '--kit', join(work, 'recovery-kit.txt'), '--out', out, '--json', '--poll', '200ms'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const done = await narrateRecovery(recovering, friends)
    say(`   version ${done.version} restored and verified, from ${new Date(done.createdAt).toISOString()}`)

    step(7, 'Byte-for-byte check against the files your node had')
    for (const f of done.files) {
      const same = (f.kind === 'cln-hsm' ? original.hsm : original.scb).equals(await readFile(f.path))
      say(`   ${f.source}: ${f.size} bytes, ${same ? 'identical' : 'DIFFERENT'}`)
      if (!same) throw new Error(`${f.source} does not match the original`)
    }
    say()
    // the demo's files go with its temp dir in a moment: the steps name them as a real recovery leaves them
    say('What you would do next (a real recovery leaves the files in ./restored; the demo removes its own):')
    for (const f of done.files)
      for (const line of nextSteps(f.kind as SourceKind, join('restored', relative(out, f.path))))
        say(`   ${line}`)
  } finally {
    recovering?.kill('SIGKILL')
    await Promise.all(friends.map((f) => f.stop()))
    await rm(work, { recursive: true, force: true })
  }
  say()
  say(
    `Done in ${((Date.now() - t0) / 1000).toFixed(1)} s. Every process it started is stopped, its temp dirs removed.`,
  )
}

/** Follow `kith recover --json`: each reachable friend compares the code and approves (the demo types it for them). */
async function narrateRecovery(
  proc: ChildProcess,
  friends: readonly Friend[],
): Promise<Extract<RecoveryEvent, { event: 'restore-done' }>> {
  const byPeer = new Map(friends.map((f) => [f.peerId, f]))
  let buffered = ''
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const approvals: Promise<void>[] = []
  return new Promise((resolve, reject) => {
    let result: Extract<RecoveryEvent, { event: 'restore-done' }> | undefined
    proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const e = JSON.parse(buffered.slice(0, nl)) as RecoveryEvent
        buffered = buffered.slice(nl + 1)
        const who = (peerId: string) => byPeer.get(peerId)?.name ?? 'a guardian'
        switch (e.event) {
          case 'request-sent': {
            const f = byPeer.get(e.peerId)!
            say(`   ☎ you call ${f.name} and read the code kith shows for them: ${e.code}`)
            say(`     ${f.name}'s guardian never shows it: they type what they hear:`)
            say(`     kith guardian approve --code ${e.code}`)
            approvals.push(kith('guardian', 'approve', '--code', e.code, '--data-dir', f.dir).then(() => {}))
            break
          }
          case 'unreachable':
            say(`   ✗ ${who(e.peerId)} does not answer (offline); kith keeps trying`)
            break
          case 'share-received':
            say(`   ✓ a share arrived, sealed to this recovery's one-time key: ${e.have} of ${e.need}`)
            break
          case 'key-rebuilt':
            say(`   ✓ the data key is rebuilt in memory and matches the vault's commitment`)
            break
          case 'heads-collected':
            say(
              `   ✓ ${e.answered} guardians report their newest version (${e.needed} needed to rule out a stale one): version ${e.version}`,
            )
            break
          case 'restore-done':
            result = e
            break
          case 'request-closed':
            say(`   ✓ your request is closed at ${e.told.length} guardian(s): their pages say you are done`)
            if (e.notTold.length > 0)
              say(
                `     ${e.notTold.length} offline keep it open until it expires: you tell them you are done`,
              )
            break
          default:
            break
        }
      }
    })
    proc.once('exit', async (code) => {
      await Promise.allSettled(approvals)
      if (code === 0 && result) resolve(result)
      else reject(new Error(`kith recover exited with ${code}: ${stderr.trim()}`))
    })
  })
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`)
  process.exitCode = 1
})
