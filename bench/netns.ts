/**
 * A small internet inside network namespaces the caller (the NAT tests, bench:home) creates and removes
 * itself (Linux, root): one
 * "internet" namespace with a bridge (50.50.50.0/24: the namespaces are connected to nothing, so
 * any range is safe, and libp2p ranks documentation ranges as private, which a real internet address is
 * not), public hosts on it, and homes behind NAT (a router namespace with
 * nftables masquerade and no forwarded port, and a host namespace behind it). No namespace is connected
 * to the machine's own network: no traffic leaves.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })

/** Why namespaces cannot be made here (not root, no ip or nft), or undefined when they can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network-namespace tests need root (ip netns)'
  for (const tool of ['ip', 'nft'])
    try {
      run('sh', '-c', `command -v ${tool}`)
    } catch {
      return `network-namespace tests need \`${tool}\` (Debian: ${tool === 'ip' ? 'iproute2' : 'nftables'}; .ci/run installs it)`
    }
  try {
    run('ip', 'netns', 'add', 'kith-probe')
    run('ip', 'netns', 'del', 'kith-probe')
  } catch {
    return 'this machine does not allow creating network namespaces'
  }
  return undefined
}

export class Lab {
  private readonly namespaces: string[] = []
  private readonly procs: ChildProcess[] = []
  readonly inet: string

  constructor(readonly prefix: string) {
    this.inet = this._ns('inet')
    run('ip', '-n', this.inet, 'link', 'add', 'br0', 'type', 'bridge')
    run('ip', '-n', this.inet, 'link', 'set', 'br0', 'up')
  }

  private _ns(name: string): string {
    const ns = `${this.prefix}-${name}`
    run('ip', 'netns', 'add', ns)
    this.namespaces.push(ns)
    run('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    return ns
  }

  /** A veth pair between two namespaces, named `a` in the first and `b` in the second. */
  private _link(nsA: string, a: string, nsB: string, b: string): void {
    const tmpA = `${this.prefix}${this.namespaces.length}a`
    const tmpB = `${this.prefix}${this.namespaces.length}b`
    run('ip', 'link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB)
    run('ip', 'link', 'set', tmpA, 'netns', nsA)
    run('ip', 'link', 'set', tmpB, 'netns', nsB)
    run('ip', '-n', nsA, 'link', 'set', tmpA, 'name', a)
    run('ip', '-n', nsB, 'link', 'set', tmpB, 'name', b)
    run('ip', '-n', nsA, 'link', 'set', a, 'up')
    run('ip', '-n', nsB, 'link', 'set', b, 'up')
  }

  /** A host on the internet at 50.50.50.`n`. */
  publicHost(name: string, n: number): { ns: string; ip: string } {
    const ns = this._ns(name)
    this._link(ns, 'eth0', this.inet, `${name}-p`)
    run('ip', '-n', this.inet, 'link', 'set', `${name}-p`, 'master', 'br0')
    run('ip', '-n', ns, 'addr', 'add', `50.50.50.${n}/24`, 'dev', 'eth0')
    return { ns, ip: `50.50.50.${n}` }
  }

  /**
   * A host on the internet with the IPv6 addresses `ips` (a /64 of its own holds as many as it likes):
   * every host's fd00::/16 is on the bridge, so each reaches the others' networks with no router; no
   * duplicate-address detection, so the addresses work at once.
   */
  ipv6Host(name: string, ips: readonly string[]): { ns: string; ips: readonly string[] } {
    const ns = this._ns(name)
    this._link(ns, 'eth0', this.inet, `${name}-p`)
    run('ip', '-n', this.inet, 'link', 'set', `${name}-p`, 'master', 'br0')
    for (const ip of ips) run('ip', '-n', ns, 'addr', 'add', `${ip}/128`, 'dev', 'eth0', 'nodad')
    run('ip', '-n', ns, '-6', 'route', 'add', 'fd00::/16', 'dev', 'eth0')
    return { ns, ips }
  }

  /**
   * A home: a router at 50.50.50.`100 + n` that masquerades and forwards nothing inward, and a host at
   * 192.168.`n`.2 behind it.
   */
  natHost(name: string, n: number): { ns: string; ip: string; router: string } {
    const router = this._ns(`${name}-r`)
    const ns = this._ns(name)
    this._link(router, 'wan', this.inet, `${name}-u`)
    run('ip', '-n', this.inet, 'link', 'set', `${name}-u`, 'master', 'br0')
    run('ip', '-n', router, 'addr', 'add', `50.50.50.${100 + n}/24`, 'dev', 'wan')
    this._link(router, 'lan', ns, 'eth0')
    run('ip', '-n', router, 'addr', 'add', `192.168.${n}.1/24`, 'dev', 'lan')
    run('ip', '-n', ns, 'addr', 'add', `192.168.${n}.2/24`, 'dev', 'eth0')
    run('ip', '-n', ns, 'route', 'add', 'default', 'via', `192.168.${n}.1`)
    run('ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    const rules = `table ip nat {
  chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }
}
table ip filter {
  chain forward { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
}`
    execFileSync('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { input: rules })
    return { ns, ip: `192.168.${n}.2`, router }
  }

  /** Limit what a home sends to the internet (its uplink) to `mbit` Mbit/s: a token bucket on its router. */
  limitUplink(router: string, mbit: number): void {
    this.limitEgress(router, 'wan', mbit)
  }

  /** A token bucket of `mbit` Mbit/s on what namespace `ns` sends through `dev` (a home's uplink). */
  limitEgress(ns: string, dev: string, mbit: number): void {
    const bucket = ['root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '400ms']
    run('ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, ...bucket)
  }

  /** Bytes a home's router has sent to the internet so far (its uplink's counter). */
  uplinkBytes(router: string): number {
    return this.sentBytes(router, 'wan')
  }

  /** Bytes sent so far through interface `dev` of namespace `ns` (eth0: all a public host sent). */
  sentBytes(ns: string, dev: string): number {
    const [link] = JSON.parse(this.exec(ns, 'ip', ['-j', '-s', 'link', 'show', 'dev', dev])) as {
      stats64: { tx: { bytes: number } }
    }[]
    return link!.stats64.tx.bytes
  }

  /** Start `cmd args…` inside `ns`; killed when the lab is destroyed. */
  spawn(
    ns: string,
    cmd: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
  ): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env })
    this.procs.push(p)
    return p
  }

  /** Run `cmd args…` inside `ns` to completion; its stdout (throws with stderr on failure). */
  exec(ns: string, cmd: string, args: readonly string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], {
      encoding: 'utf8',
      ...(input !== undefined ? { input } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    })
  }

  /** Kill what runs and delete every namespace made (their interfaces go with them). */
  destroy(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL')
    for (const ns of [...this.namespaces].reverse())
      try {
        run('ip', 'netns', 'del', ns)
      } catch {
        // already gone
      }
  }
}
