/**
 * The one registry of kind numbers (docs/format.md §Kinds): every stored record (1–15) and protocol
 * message (16 and up). It is keyed by number, so two kinds can never share one: a repeated key does not
 * compile. Names are checked unique at compile time too. A number is never reused or renumbered.
 */
export const KINDS = {
  // stored records (docs/format.md §Records)
  1: 'roster',
  2: 'share',
  3: 'manifest',
  4: 'manifestBody',
  5: 'head',
  6: 'receipt',
  7: 'invite',
  8: 'keyFile',
  9: 'vaultSecrets',
  10: 'vaultState',
  11: 'veto',
  12: 'certificate',
  13: 'writerCertificate',
  // a journal entry: the names of kinds 14, 37, 38 and 41 keep the journal's historical name, stream
  14: 'streamEntry',
  15: 'chainChoice',
  // protocol messages (docs/format.md §Protocol messages)
  16: 'error',
  17: 'enroll',
  18: 'enrolled',
  19: 'offer',
  20: 'need',
  21: 'chunk',
  22: 'receiptMessage',
  23: 'fetch',
  24: 'fetched',
  25: 'evidence',
  26: 'rosterUpdate',
  27: 'ack',
  28: 'recover',
  29: 'recovery',
  30: 'vetoMessage',
  31: 'requests',
  32: 'drill',
  33: 'drilled',
  34: 'enrollHello',
  35: 'certify',
  36: 'freshness',
  37: 'streamOpen',
  38: 'streamState',
  39: 'entryMessage',
  40: 'entryAck',
  41: 'streamEntries',
  42: 'addresses',
  43: 'recoveryDone',
  // a kith release file offered to a guardian (docs/format.md §Release offer)
  44: 'releaseOffer',
  45: 'releaseAnswer',
  46: 'releasePart',
} as const

type Table = typeof KINDS
export type KindNumber = keyof Table
export type KindName = Table[KindNumber]

/** A name that two numbers share: `never` when every name is unique. */
type _SharedName = {
  [N in KindNumber]: Table[N] extends Table[Exclude<KindNumber, N>] ? N : never
}[KindNumber]
// fails to compile if two kind numbers carry one name
const _namesAreUnique: [_SharedName] extends [never] ? true : never = true
void _namesAreUnique

/** The first message kind: lower numbers are stored records. */
export const FIRST_MESSAGE_KIND = 16

/** The number of a kind, by name. */
export const KIND = Object.fromEntries(Object.entries(KINDS).map(([n, name]) => [name, Number(n)])) as {
  readonly [N in KindNumber as Table[N]]: N
}
