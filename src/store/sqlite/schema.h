// Versioned schema migrations for the SQLite backend. Migration i (1-based) moves the
// database from user_version i-1 to i; each runs in its own transaction at open.
#pragma once

#include <string_view>

namespace forewarn::store::sqlite {

inline constexpr std::string_view kMigrations[] = {
    // 1: partner registry, tokens, settings, tiers, audit ledger storage.
    R"sql(
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE tiers (
  name              TEXT PRIMARY KEY,
  lead_time_seconds INTEGER NOT NULL CHECK (lead_time_seconds >= 0),
  description       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE partners (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  country              TEXT NOT NULL,
  tier                 TEXT NOT NULL REFERENCES tiers(name),
  status               TEXT NOT NULL CHECK (status IN ('applicant','active','suspended','removed')),
  labels               TEXT NOT NULL DEFAULT '[]',
  contract_version     TEXT,
  contract_accepted_at INTEGER,
  nda_version          TEXT,
  nda_accepted_at      INTEGER,
  contacts             TEXT NOT NULL DEFAULT '[]',
  x25519_public_key    TEXT NOT NULL DEFAULT '',
  ed25519_public_key   TEXT NOT NULL DEFAULT '',
  webhook_url          TEXT NOT NULL DEFAULT '',
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX partners_created ON partners(created_at, id);
CREATE TABLE partner_status_changes (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id  TEXT NOT NULL REFERENCES partners(id),
  from_status TEXT NOT NULL,
  to_status   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX partner_status_changes_partner ON partner_status_changes(partner_id, seq);
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  role        TEXT NOT NULL,
  partner_id  TEXT REFERENCES partners(id),
  name        TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER,
  CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
CREATE INDEX tokens_partner ON tokens(partner_id);
CREATE TABLE ledger_leaves (
  idx       INTEGER PRIMARY KEY,
  data      BLOB NOT NULL,
  leaf_hash BLOB NOT NULL
);
CREATE INDEX ledger_leaves_hash ON ledger_leaves(leaf_hash);
CREATE TABLE ledger_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE tree_heads (
  tree_size INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL,
  timestamp INTEGER NOT NULL,
  signature BLOB NOT NULL
);
)sql",
};

}  // namespace forewarn::store::sqlite
