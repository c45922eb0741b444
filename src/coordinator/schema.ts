/** Numbered schema migrations of the coordinator database (see guardian/schema.ts for the rules). */
export const MIGRATIONS: readonly string[] = [
  // 1: the vault's settings, guardians, rosters, sources, versions (the outbox), deliveries, audit log
  `
  CREATE TABLE vault (
    id INTEGER PRIMARY KEY CHECK (id = 1), vault_id BLOB NOT NULL, name TEXT NOT NULL,
    k INTEGER NOT NULL, w INTEGER NOT NULL, epoch INTEGER NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE TABLE guardians (
    peer_id BLOB PRIMARY KEY, addrs TEXT NOT NULL, label TEXT NOT NULL, quota INTEGER NOT NULL,
    member INTEGER NOT NULL DEFAULT 0, invite TEXT, invite_expires INTEGER, share BLOB,
    delivered_epoch INTEGER, added_at INTEGER NOT NULL, last_contact INTEGER
  );
  CREATE TABLE rosters (epoch INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
  CREATE TABLE data_keys (from_epoch INTEGER PRIMARY KEY, nonce BLOB NOT NULL, sealed BLOB NOT NULL);
  CREATE TABLE sources (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, added_at INTEGER NOT NULL
  );
  CREATE TABLE versions (
    version INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, hash BLOB NOT NULL, manifest BLOB NOT NULL,
    created_at INTEGER NOT NULL, committed_at INTEGER
  );
  CREATE TABLE deliveries (
    version INTEGER NOT NULL, peer_id BLOB NOT NULL, receipt BLOB NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (version, peer_id)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
  );
  `,
  // 2: the hash of each guardian's current share envelope, so a drill can check it holds the share
  `
  ALTER TABLE guardians ADD COLUMN share_hash BLOB;
  `,
  // 3: journals written beside the versions (a CLN node's db_write plugin): the journal key sealed
  // under the key-encryption key, the writer certificate, and the database the journal follows (the
  // table keeps the journal's historical name, `streams`)
  `
  CREATE TABLE streams (
    name TEXT PRIMARY KEY, key_nonce BLOB NOT NULL, key_sealed BLOB NOT NULL, certificate BLOB NOT NULL,
    source TEXT NOT NULL, created_at INTEGER NOT NULL
  );
  `,
  // 4: where each guardian is now: the newest signed peer record's addresses (or an operator's manual
  // update) over the invite's, and since when it has not answered
  `
  CREATE TABLE guardian_net (
    peer_id BLOB PRIMARY KEY, addrs TEXT, seq INTEGER NOT NULL DEFAULT 0, updated_at INTEGER,
    unreachable_since INTEGER, path TEXT
  );
  `,
  // 5: the chain choices this coordinator signed after a fork (docs/format.md §Chain choice): the newest
  // goes with every roster it delivers
  `
  CREATE TABLE chain_choices (epoch INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
  `,
  // 6: events by kind: the CLN plugin looks for a recorded fence before every transaction
  `
  CREATE INDEX events_by_kind ON events (kind, seq);
  `,
  // 7: the owner's paper share (kith vault paper-share): whether the split has one, and each epoch's,
  // sealed under the key-encryption key like an undelivered share, for printing again
  `
  ALTER TABLE vault ADD COLUMN paper INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE paper_shares (epoch INTEGER PRIMARY KEY, sealed BLOB NOT NULL, printed_at INTEGER);
  `,
  // 8: what each source was found to be when it was added and at the last backup (JSON: the node id
  // a CLN hsm_secret makes, its form and SHA-256, channels and peers, schema versions): a later backup
  // of another node's files is refused against it
  `
  ALTER TABLE sources ADD COLUMN facts TEXT;
  `,
]
