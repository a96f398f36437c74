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
    // 2: advisories, revisions and their artifact sets, artifacts, content blobs, the release
    // schedule and embargo-terms acceptances. Enum columns hold the core ToString() names;
    // times are unix microseconds.
    R"sql(
CREATE TABLE advisories (
  id               TEXT PRIMARY KEY,
  public_at        INTEGER NOT NULL,
  latest_revision  INTEGER NOT NULL,
  created_by       TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  withdrawn_at     INTEGER,
  withdrawn_reason TEXT NOT NULL DEFAULT '',
  recorded_status  TEXT NOT NULL
);
CREATE INDEX advisories_created ON advisories(created_at, id);
-- content is a JSON object: title, description, cves, products, cvss_vectors, terms.
CREATE TABLE revisions (
  advisory_id  TEXT NOT NULL REFERENCES advisories(id),
  number       INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('draft','published')),
  summary      TEXT NOT NULL,
  content      TEXT NOT NULL,
  terms_sha256 TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  release_at   INTEGER,
  PRIMARY KEY (advisory_id, number)
);
CREATE TABLE content_blobs (
  sha256 TEXT PRIMARY KEY,
  size   INTEGER NOT NULL,
  data   BLOB NOT NULL
);
CREATE TABLE artifacts (
  id             TEXT PRIMARY KEY,
  advisory_id    TEXT NOT NULL REFERENCES advisories(id),
  revision       INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  title          TEXT NOT NULL,
  media_type     TEXT NOT NULL,
  sensitivity    TEXT NOT NULL,
  filename       TEXT NOT NULL DEFAULT '',
  content_sha256 TEXT NOT NULL REFERENCES content_blobs(sha256),
  size           INTEGER NOT NULL CHECK (size >= 0),
  alternative_of TEXT NOT NULL DEFAULT '',
  replaces       TEXT NOT NULL DEFAULT '',
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);
-- Serves ListArtifacts and is the parent key that keeps a revision's artifact set within its
-- own advisory.
CREATE UNIQUE INDEX artifacts_advisory ON artifacts(advisory_id, id);
CREATE TABLE revision_artifacts (
  advisory_id TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  position    INTEGER NOT NULL,
  artifact_id TEXT NOT NULL,
  PRIMARY KEY (advisory_id, revision, position),
  FOREIGN KEY (advisory_id, revision) REFERENCES revisions(advisory_id, number),
  FOREIGN KEY (advisory_id, artifact_id) REFERENCES artifacts(advisory_id, id)
) WITHOUT ROWID;
-- AUTOINCREMENT: a seq is never handed out twice, even after the newest row is deleted.
CREATE TABLE releases (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  advisory_id   TEXT NOT NULL REFERENCES advisories(id),
  revision      INTEGER NOT NULL,
  tier          TEXT NOT NULL REFERENCES tiers(name),
  kind          TEXT NOT NULL CHECK (kind IN ('wave','public','withdrawn')),
  at            INTEGER NOT NULL,
  explicit_time INTEGER NOT NULL CHECK (explicit_time IN (0, 1)),
  recorded_at   INTEGER
);
CREATE INDEX releases_tier ON releases(tier, at, seq);
CREATE INDEX releases_advisory ON releases(advisory_id, at, seq);
CREATE INDEX releases_due ON releases(at, seq) WHERE recorded_at IS NULL;
CREATE TABLE terms_acceptances (
  advisory_id  TEXT NOT NULL REFERENCES advisories(id),
  partner_id   TEXT NOT NULL REFERENCES partners(id),
  terms_sha256 TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  accepted_at  INTEGER NOT NULL,
  PRIMARY KEY (advisory_id, partner_id, terms_sha256)
) WITHOUT ROWID;
)sql",
    // 3: policy versions, alerts about unusual partner activity, and hourly fetch counts per
    // partner (the usual pattern alerts compare against).
    R"sql(
CREATE TABLE policy_versions (
  version    INTEGER PRIMARY KEY CHECK (version >= 1),
  text       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  author     TEXT NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  applied_at INTEGER NOT NULL
);
CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,
  partner_id      TEXT NOT NULL REFERENCES partners(id),
  kind            TEXT NOT NULL CHECK (kind IN ('volume','off-hours','breadth')),
  state           TEXT NOT NULL CHECK (state IN ('open','acknowledged')),
  summary         TEXT NOT NULL,
  evidence        TEXT NOT NULL,
  raised_at       INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_raised ON alerts(raised_at, id);
CREATE INDEX alerts_partner ON alerts(partner_id, raised_at);
CREATE INDEX alerts_state ON alerts(state, raised_at);
CREATE TABLE partner_activity (
  partner_id TEXT NOT NULL REFERENCES partners(id),
  hour       INTEGER NOT NULL,
  fetches    INTEGER NOT NULL CHECK (fetches >= 0),
  PRIMARY KEY (partner_id, hour)
) WITHOUT ROWID;
)sql",
    // 4: push deliveries (the outbox), and the 'delivery-failed' alert kind. SQLite cannot
    // alter a CHECK constraint, so alerts is rebuilt (nothing references it) with its rows and
    // the indexes of migration 3.
    R"sql(
CREATE TABLE alerts_new (
  id              TEXT PRIMARY KEY,
  partner_id      TEXT NOT NULL REFERENCES partners(id),
  kind            TEXT NOT NULL
                  CHECK (kind IN ('volume','off-hours','breadth','delivery-failed')),
  state           TEXT NOT NULL CHECK (state IN ('open','acknowledged')),
  summary         TEXT NOT NULL,
  evidence        TEXT NOT NULL,
  raised_at       INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  note            TEXT NOT NULL DEFAULT ''
);
INSERT INTO alerts_new(id, partner_id, kind, state, summary, evidence, raised_at, updated_at,
                       acknowledged_by, acknowledged_at, note)
  SELECT id, partner_id, kind, state, summary, evidence, raised_at, updated_at,
         acknowledged_by, acknowledged_at, note FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_raised ON alerts(raised_at, id);
CREATE INDEX alerts_partner ON alerts(partner_id, raised_at);
CREATE INDEX alerts_state ON alerts(state, raised_at);
-- One row per (partner, advisory revision, trigger): enqueueing twice inserts nothing.
CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,
  partner_id       TEXT NOT NULL REFERENCES partners(id),
  advisory_id      TEXT NOT NULL REFERENCES advisories(id),
  revision         INTEGER NOT NULL,
  trigger          TEXT NOT NULL,
  state            TEXT NOT NULL
                   CHECK (state IN ('pending','sending','delivered','cancelled','failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER,
  claim_token      TEXT NOT NULL DEFAULT '',
  last_attempt_at  INTEGER,
  last_error       TEXT NOT NULL DEFAULT '',
  delivered_at     INTEGER,
  package_sha256   TEXT NOT NULL DEFAULT '',
  ledger_index     INTEGER,
  acknowledged_at  INTEGER,
  acknowledged_via TEXT NOT NULL DEFAULT '',
  cancel_reason    TEXT NOT NULL DEFAULT '',
  UNIQUE (partner_id, advisory_id, revision, trigger)
);
-- Due pending rows in (next_attempt_at, id) order, and CountDeliveries by state.
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at, id);
-- Sending rows by lease expiry (a worker died): only the few in flight are indexed.
CREATE INDEX deliveries_lease ON deliveries(state, lease_until, id) WHERE state = 'sending';
-- ListDeliveries, newest first: per advisory, per partner, and overall.
CREATE INDEX deliveries_advisory ON deliveries(advisory_id, created_at, id);
CREATE INDEX deliveries_partner ON deliveries(partner_id, created_at, id);
CREATE INDEX deliveries_created ON deliveries(created_at, id);
)sql",
};

}  // namespace forewarn::store::sqlite
