/** What to do with restored files, per source kind: the Lightning safety rules an operator needs now. */
import type { SourceKind } from '../replica/manifest-body.js'

export function nextSteps(kind: SourceKind, written: string): string[] {
  switch (kind) {
    case 'lnd-scb':
      return [
        `LND channel backup: ${written}`,
        '  Restore it with `lncli restorechanbackup --multi_file <file>` on the node whose seed made it,',
        '  or give it while creating the wallet from the seed (lncli create / unlock with the backup).',
        '  Every channel will be force-closed by your peers and funds return on-chain after the timelocks;',
        '  payments in flight (HTLCs) are lost. Never start the old node again.',
      ]
    case 'cln-emergency':
      return [
        `CLN emergency.recover: ${written}`,
        '  Put it in the node directory (e.g. ~/.lightning/bitcoin/emergency.recover) with the same hsm_secret,',
        '  start lightningd and run `lightning-cli emergencyrecover`. Peers force-close; funds return on-chain.',
      ]
    case 'cln-db':
      return [
        `CLN database (lightningd.sqlite3), with every replicated transaction applied: ${written}`,
        '  Put hsm_secret back first (the same one), then this file as ~/.lightning/bitcoin/lightningd.sqlite3',
        '  (mode 0600, the node user), and start lightningd with the kith-cln plugin installed again',
        '  (`kith cln install-plugin`) before it writes anything. Never start the old node again.',
      ]
    case 'signer-store':
      return [
        `kith's signer store (what your VLS or ldk-node signer kept with kith), with every replicated write applied: ${written}`,
        '  Serve it before the signer starts: `kith lss serve --store <this file>` (after `kith recover --resume`, on',
        '  this machine). The signer, restored from its seed, then finds every key at its last version.',
        '  Never start the old node or its signer again.',
      ]
    case 'sqlite':
      return [
        `SQLite database: ${written}`,
        '  Stop the node before replacing its database. Restore only the newest committed version: an older',
        '  channel state broadcast by your node lets your peers take the channel funds.',
      ]
    case 'cln-hsm':
      return [
        `CLN hsm_secret (your node's seed): ${written}`,
        '  Put it back first, as ~/.lightning/bitcoin/hsm_secret with mode 0600 for the node user, before',
        '  any other file; lightningd checks that its database and emergency.recover belong to it. Keep no',
        '  other copy on this machine.',
      ]
    case 'file':
      return [
        `File: ${written}`,
        '  If this is hsm_secret or a seed: it is the key to all funds. Put it back with mode 0600 for the node',
        '  user (CLN: ~/.lightning/bitcoin/hsm_secret) and keep no other copy on this machine.',
      ]
    case 'dir':
      return [`Directory file: ${written}`]
  }
}
