/**
 * Numbered schema migrations of the guardian database. A migration is never edited once released;
 * a change is a new number. `user_version` records how far a database has come.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: vaults, rosters, shares, manifests, chunks, receipts, invites, equivocation evidence, audit log
  `
  CREATE TABLE invites (
    secret_hash BLOB PRIMARY KEY, label TEXT NOT NULL, quota INTEGER NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, vault_id BLOB
  );
  CREATE TABLE vaults (
    vault_id BLOB PRIMARY KEY, label TEXT NOT NULL, quota INTEGER NOT NULL,
    epoch INTEGER NOT NULL, roster BLOB NOT NULL,
    head_version INTEGER NOT NULL DEFAULT 0, head_hash BLOB, head BLOB,
    bytes_stored INTEGER NOT NULL DEFAULT 0, last_contact INTEGER NOT NULL,
    equivocation INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
  );
  CREATE TABLE shares (
    vault_id BLOB NOT NULL, epoch INTEGER NOT NULL, envelope BLOB NOT NULL,
    PRIMARY KEY (vault_id, epoch)
  );
  CREATE TABLE manifests (
    vault_id BLOB NOT NULL, version INTEGER NOT NULL, epoch INTEGER NOT NULL, hash BLOB NOT NULL,
    created_at INTEGER NOT NULL, size INTEGER NOT NULL, bytes BLOB NOT NULL, head BLOB NOT NULL,
    PRIMARY KEY (vault_id, version)
  );
  CREATE TABLE manifest_chunks (
    vault_id BLOB NOT NULL, version INTEGER NOT NULL, chunk_id BLOB NOT NULL,
    PRIMARY KEY (vault_id, version, chunk_id)
  );
  CREATE INDEX manifest_chunks_by_chunk ON manifest_chunks (vault_id, chunk_id);
  CREATE TABLE chunks (
    vault_id BLOB NOT NULL, id BLOB NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (vault_id, id)
  );
  CREATE TABLE receipts (
    vault_id BLOB NOT NULL, version INTEGER NOT NULL, receipt BLOB NOT NULL, PRIMARY KEY (vault_id, version)
  );
  CREATE TABLE equivocations (
    vault_id BLOB NOT NULL, version INTEGER NOT NULL, held_head BLOB NOT NULL, offered_head BLOB NOT NULL,
    held_manifest BLOB, offered_manifest BLOB, detected_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, held_head, offered_head)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, vault_id BLOB, kind TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  `,
  // 2: recovery requests and per-vault release policy; coordinators fenced out by a newer roster
  `
  ALTER TABLE vaults ADD COLUMN release_delay INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE vaults ADD COLUMN request_ttl INTEGER NOT NULL DEFAULT 604800000;
  ALTER TABLE invites ADD COLUMN release_delay INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE recovery_requests (
    vault_id BLOB NOT NULL, request_id BLOB NOT NULL, recovery_key BLOB NOT NULL, requester BLOB NOT NULL,
    code TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    decided_at INTEGER, release_at INTEGER, released_at INTEGER, veto BLOB,
    PRIMARY KEY (vault_id, request_id)
  );
  CREATE TABLE fenced_coordinators (
    vault_id BLOB NOT NULL, peer_id BLOB NOT NULL, epoch INTEGER NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, peer_id)
  );
  `,
  // 3: requests capped per requester and per IP (so the requester's address is kept), the newest signed
  // head a guardian has seen and the newest commit certificate it holds, for each vault
  `
  ALTER TABLE recovery_requests ADD COLUMN requester_ip TEXT NOT NULL DEFAULT '';
  CREATE INDEX recovery_requests_by_state ON recovery_requests (vault_id, state);
  ALTER TABLE vaults ADD COLUMN seen_version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE vaults ADD COLUMN seen_head BLOB;
  ALTER TABLE vaults ADD COLUMN certified_version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE vaults ADD COLUMN certificate BLOB;
  `,
  // 4: a roster that drops this guardian deletes nothing at once: the removal waits out a grace period
  // (its human may keep the data); wrong codes typed for a request are counted, and lock it
  `
  ALTER TABLE vaults ADD COLUMN removal_epoch INTEGER;
  ALTER TABLE vaults ADD COLUMN remove_at INTEGER;
  ALTER TABLE vaults ADD COLUMN kept_at INTEGER;
  ALTER TABLE recovery_requests ADD COLUMN wrong_codes INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: journals (the tables keep their historical name, streams): each one's writer certificate and
  // newest entry, and the entries a committed snapshot does not cover yet; a released share kept (sealed
  // to its recovery key) so every later poll of its request gets it again; open requests of older kith
  // (8-byte ids) closed
  `
  CREATE TABLE streams (
    vault_id BLOB NOT NULL, stream TEXT NOT NULL, certificate BLOB NOT NULL,
    last_position INTEGER NOT NULL DEFAULT 0, last_hash BLOB, last_prev BLOB,
    covered INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vault_id, stream)
  );
  CREATE TABLE stream_entries (
    vault_id BLOB NOT NULL, stream TEXT NOT NULL, position INTEGER NOT NULL, prev BLOB NOT NULL,
    hash BLOB NOT NULL, entry BLOB NOT NULL,
    PRIMARY KEY (vault_id, stream, position)
  );
  ALTER TABLE recovery_requests ADD COLUMN sealed_share BLOB;
  UPDATE recovery_requests SET state = 'expired'
    WHERE length(request_id) <> 16 AND state IN ('pending', 'approved');
  `,
  // 6: one-time logins to the guardian's local page (\`kith guardian open\`): only each token's hash
  `
  CREATE TABLE web_logins (
    token_hash BLOB PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER
  );
  `,
  // 7: one quota for all a vault stores: its bytes count its journals' entries too (they were counted
  // apart, so each journal had the whole quota again)
  `
  UPDATE vaults SET bytes_stored = bytes_stored +
    (SELECT coalesce(sum(bytes), 0) FROM streams WHERE streams.vault_id = vaults.vault_id);
  `,
  // 8: the mark of the committed snapshot a journal's covered position comes from: an entry past a gap
  // must follow it (one was taken on faith)
  `
  ALTER TABLE streams ADD COLUMN covered_hash BLOB;
  `,
  // 9: the owner's chain choice after a fork (docs/format.md §Chain choice), and the versions it set aside:
  // their signed heads and manifests, kept as evidence (their chunks go)
  `
  ALTER TABLE vaults ADD COLUMN choice BLOB;
  ALTER TABLE vaults ADD COLUMN choice_epoch INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE set_aside (
    vault_id BLOB NOT NULL, version INTEGER NOT NULL, epoch INTEGER NOT NULL, hash BLOB NOT NULL,
    created_at INTEGER NOT NULL, bytes BLOB NOT NULL, head BLOB NOT NULL, set_aside_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, version, hash)
  );
  `,
  // 10: when this guardian last heard from the vault's coordinator and from its live-database plugin
  // (written at most once a minute): a recoverer is told how recently the old node was alive
  `
  ALTER TABLE vaults ADD COLUMN coordinator_heard_at INTEGER;
  ALTER TABLE vaults ADD COLUMN plugin_heard_at INTEGER;
  `,
]
