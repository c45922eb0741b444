/**
 * The persistent libp2p identity (Ed25519), kept as a protobuf-encoded private key in a file created
 * with mode 0600. Its public half is the peer ID, and what guardians sign receipts with.
 */
import { readFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface'
import { tightenSecretFile, writeFileAtomic } from '../disk/atomic.js'

/** Load the key at `path` (another user's is refused, a wider mode tightened); undefined if there is none. */
export async function loadPeerKey(path: string): Promise<Ed25519PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    await tightenSecretFile(path)
    bytes = new Uint8Array(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const key: PrivateKey = privateKeyFromProtobuf(bytes)
  if (key.type !== 'Ed25519') throw new TypeError(`peer key at ${path} is ${key.type}, expected Ed25519`)
  return key
}

/** Load the key at `path` as `loadPeerKey` does, or create it (0600) where there is none. */
export async function loadOrCreatePeerKey(path: string): Promise<Ed25519PrivateKey> {
  const held = await loadPeerKey(path)
  if (held !== undefined) return held
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(key))
  return key
}
