// The SQLite backend of store::Store: a small pool of connections in WAL mode. Write
// transactions are serialized in-process (one writer at a time, as SQLite requires) and begin
// IMMEDIATE so they never fail halfway on a lock upgrade.
#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/time.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/schema.h"
#include "store/store.h"

namespace forewarn::store {
namespace sqlite {
namespace {

using nlohmann::json;
using StepResult = Statement::StepResult;

std::optional<int64_t> OptionalMicros(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return ToUnixMicros(*t);
}

std::optional<TimePoint> OptionalTime(const std::optional<int64_t>& micros) {
  if (!micros) return std::nullopt;
  return FromUnixMicros(*micros);
}

std::string ContactsJson(const std::vector<Contact>& contacts) {
  json array = json::array();
  for (const auto& c : contacts) {
    array.push_back({{"name", c.name}, {"email", c.email}, {"role", c.role}});
  }
  return array.dump();
}

Result<std::vector<Contact>> ParseContacts(const std::string& text) {
  const json array = json::parse(text, nullptr, false);
  if (!array.is_array()) return Fail(ErrorCode::kInternal, "stored contacts are corrupt");
  std::vector<Contact> contacts;
  for (const auto& c : array) {
    if (!c.is_object()) return Fail(ErrorCode::kInternal, "stored contacts are corrupt");
    contacts.push_back(Contact{c.value("name", ""), c.value("email", ""), c.value("role", "")});
  }
  return contacts;
}

Result<std::vector<std::string>> ParseLabels(const std::string& text) {
  const json array = json::parse(text, nullptr, false);
  if (!array.is_array()) return Fail(ErrorCode::kInternal, "stored labels are corrupt");
  std::vector<std::string> labels;
  for (const auto& l : array) {
    if (!l.is_string()) return Fail(ErrorCode::kInternal, "stored labels are corrupt");
    labels.push_back(l.get<std::string>());
  }
  return labels;
}

constexpr std::string_view kPartnerColumns =
    "id, name, country, tier, status, labels, contract_version, contract_accepted_at, "
    "nda_version, nda_accepted_at, contacts, x25519_public_key, ed25519_public_key, webhook_url, "
    "created_at, updated_at";

Result<Partner> ReadPartner(const Statement& s) {
  Partner p;
  p.id = s.Text(0);
  p.name = s.Text(1);
  p.country = s.Text(2);
  p.tier = s.Text(3);
  FW_ASSIGN_OR_RETURN(p.status, ParsePartnerStatus(s.Text(4)));
  FW_ASSIGN_OR_RETURN(p.labels, ParseLabels(s.Text(5)));
  if (!s.IsNull(6)) p.contract = Agreement{s.Text(6), FromUnixMicros(s.Int(7))};
  if (!s.IsNull(8)) p.nda = Agreement{s.Text(8), FromUnixMicros(s.Int(9))};
  FW_ASSIGN_OR_RETURN(p.contacts, ParseContacts(s.Text(10)));
  p.x25519_public_key = s.Text(11);
  p.ed25519_public_key = s.Text(12);
  p.webhook_url = s.Text(13);
  p.created_at = FromUnixMicros(s.Int(14));
  p.updated_at = FromUnixMicros(s.Int(15));
  return p;
}

// Binds parameters 1..16 in kPartnerColumns order.
void BindPartner(Statement& s, const Partner& p) {
  s.Bind(1, p.id).Bind(2, p.name).Bind(3, p.country).Bind(4, p.tier);
  s.Bind(5, ToString(p.status)).Bind(6, json(p.labels).dump());
  if (p.contract) {
    s.Bind(7, p.contract->version).Bind(8, ToUnixMicros(p.contract->accepted_at));
  } else {
    s.BindNull(7).BindNull(8);
  }
  if (p.nda) {
    s.Bind(9, p.nda->version).Bind(10, ToUnixMicros(p.nda->accepted_at));
  } else {
    s.BindNull(9).BindNull(10);
  }
  s.Bind(11, ContactsJson(p.contacts)).Bind(12, p.x25519_public_key);
  s.Bind(13, p.ed25519_public_key).Bind(14, p.webhook_url);
  s.Bind(15, ToUnixMicros(p.created_at)).Bind(16, ToUnixMicros(p.updated_at));
}

Result<TokenRecord> ReadToken(const Statement& s) {
  TokenRecord t;
  t.id = s.Text(0);
  t.secret_hash = s.Blob(1);
  FW_ASSIGN_OR_RETURN(t.role, ParseRole(s.Text(2)));
  t.partner_id = s.IsNull(3) ? std::string() : s.Text(3);
  t.name = s.Text(4);
  t.created_by = s.Text(5);
  t.created_at = FromUnixMicros(s.Int(6));
  t.expires_at = OptionalTime(s.OptionalInt(7));
  t.revoked_at = OptionalTime(s.OptionalInt(8));
  return t;
}

constexpr std::string_view kTokenColumns =
    "id, secret_hash, role, partner_id, name, created_by, created_at, expires_at, revoked_at";

class SqliteStore;

// Returns its connection to the pool and releases the writer lock when destroyed; rolls back
// if Commit() did not succeed.
class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteStore& store, std::unique_ptr<Connection> connection,
                    std::unique_lock<std::timed_mutex> writer_lock)
      : store_(store), connection_(std::move(connection)), writer_lock_(std::move(writer_lock)) {}
  ~SqliteTransaction() override;

  Status Commit() override {
    if (finished_) return Fail(ErrorCode::kInternal, "transaction used after it finished");
    FW_TRY(connection_->Exec("COMMIT"));
    finished_ = true;
    // Let the next writer in now rather than when this object is destroyed.
    if (writer_lock_.owns_lock()) writer_lock_.unlock();
    return Ok();
  }

  // --- settings ---
  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT value FROM settings WHERE key = ?"));
    s.Bind(1, key);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  }

  Status PutSetting(const std::string& key, const std::string& value) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO settings(key, value) VALUES(?, ?) "
                                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    return s.Bind(1, key).Bind(2, value).Run();
  }

  // --- tiers ---
  Result<std::vector<Tier>> ListTiers() override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT name, lead_time_seconds, description FROM tiers "
                                        "ORDER BY lead_time_seconds DESC, name"));
    std::vector<Tier> tiers;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      tiers.push_back(Tier{s.Text(0), std::chrono::seconds{s.Int(1)}, s.Text(2)});
    }
    return tiers;
  }

  Result<std::optional<Tier>> FindTier(const std::string& name) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("SELECT name, lead_time_seconds, description FROM tiers WHERE name = ?"));
    s.Bind(1, name);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Tier>();
    return std::optional<Tier>(Tier{s.Text(0), std::chrono::seconds{s.Int(1)}, s.Text(2)});
  }

  Status PutTier(const Tier& tier) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("INSERT INTO tiers(name, lead_time_seconds, description) VALUES(?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET lead_time_seconds = "
                        "excluded.lead_time_seconds, description = excluded.description"));
    return s.Bind(1, tier.name)
        .Bind(2, static_cast<int64_t>(tier.lead_time.count()))
        .Bind(3, tier.description)
        .Run();
  }

  // --- partners ---
  Status InsertPartner(const Partner& partner) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("INSERT INTO partners({}) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                    "?, ?, ?, ?, ?, ?, ?)",
                                    kPartnerColumns)));
    BindPartner(s, partner);
    auto status = s.Run();
    if (!status && status.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, fmt::format("partner {} cannot be stored: {}", partner.id,
                                                    status.error().message));
    }
    return status;
  }

  Status UpdatePartner(const Partner& partner) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("UPDATE partners SET name = ?2, country = ?3, tier = ?4, status = ?5, "
                        "labels = ?6, contract_version = ?7, contract_accepted_at = ?8, "
                        "nda_version = ?9, nda_accepted_at = ?10, contacts = ?11, "
                        "x25519_public_key = ?12, ed25519_public_key = ?13, webhook_url = ?14, "
                        "created_at = ?15, updated_at = ?16 WHERE id = ?1"));
    BindPartner(s, partner);
    FW_TRY(s.Run());
    if (Changes() == 0) {
      return Fail(ErrorCode::kNotFound, fmt::format("partner {} not found", partner.id));
    }
    return Ok();
  }

  Result<std::optional<Partner>> FindPartner(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM partners WHERE id = ?", kPartnerColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Partner>();
    FW_ASSIGN_OR_RETURN(auto partner, ReadPartner(s));
    return std::optional<Partner>(std::move(partner));
  }

  Result<std::vector<Partner>> ListPartners(const PartnerFilter& filter) override {
    // Label filtering uses json_each over the stored array; NULL parameters disable a filter.
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare(fmt::format(
            "SELECT {} FROM partners WHERE (?1 IS NULL OR status = ?1) AND "
            "(?2 IS NULL OR tier = ?2) AND (?3 IS NULL OR country = ?3) AND "
            "(?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(partners.labels) WHERE value = ?4)) "
            "ORDER BY created_at, id",
            kPartnerColumns)));
    if (filter.status) s.Bind(1, ToString(*filter.status));
    if (filter.tier) s.Bind(2, *filter.tier);
    if (filter.country) s.Bind(3, *filter.country);
    if (filter.label) s.Bind(4, *filter.label);
    std::vector<Partner> partners;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      FW_ASSIGN_OR_RETURN(auto partner, ReadPartner(s));
      partners.push_back(std::move(partner));
    }
    return partners;
  }

  Status InsertStatusChange(const StatusChange& change) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO partner_status_changes(partner_id, "
                                        "from_status, to_status, reason, actor, at) "
                                        "VALUES(?, ?, ?, ?, ?, ?)"));
    return s.Bind(1, change.partner_id)
        .Bind(2, ToString(change.from))
        .Bind(3, ToString(change.to))
        .Bind(4, change.reason)
        .Bind(5, change.actor)
        .Bind(6, ToUnixMicros(change.at))
        .Run();
  }

  Result<std::vector<StatusChange>> ListStatusChanges(const std::string& partner_id) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT partner_id, from_status, to_status, reason, "
                                        "actor, at FROM partner_status_changes "
                                        "WHERE partner_id = ? ORDER BY seq"));
    s.Bind(1, partner_id);
    std::vector<StatusChange> changes;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      StatusChange c;
      c.partner_id = s.Text(0);
      FW_ASSIGN_OR_RETURN(c.from, ParsePartnerStatus(s.Text(1)));
      FW_ASSIGN_OR_RETURN(c.to, ParsePartnerStatus(s.Text(2)));
      c.reason = s.Text(3);
      c.actor = s.Text(4);
      c.at = FromUnixMicros(s.Int(5));
      changes.push_back(std::move(c));
    }
    return changes;
  }

  // --- tokens ---
  Status InsertToken(const TokenRecord& token) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("INSERT INTO tokens({}) VALUES(?, ?, ?, ?, "
                                                    "?, ?, ?, ?, ?)",
                                                    kTokenColumns)));
    s.Bind(1, token.id).BindBlob(2, token.secret_hash).Bind(3, ToString(token.role));
    if (token.partner_id.empty()) {
      s.BindNull(4);
    } else {
      s.Bind(4, token.partner_id);
    }
    s.Bind(5, token.name).Bind(6, token.created_by).Bind(7, ToUnixMicros(token.created_at));
    s.Bind(8, OptionalMicros(token.expires_at)).Bind(9, OptionalMicros(token.revoked_at));
    return s.Run();
  }

  Result<std::optional<TokenRecord>> FindToken(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare(fmt::format("SELECT {} FROM tokens WHERE id = ?", kTokenColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<TokenRecord>();
    FW_ASSIGN_OR_RETURN(auto token, ReadToken(s));
    return std::optional<TokenRecord>(std::move(token));
  }

  Result<std::vector<TokenRecord>> ListTokens(
      const std::optional<std::string>& partner_id) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM tokens WHERE ?1 IS NULL OR "
                                                    "partner_id = ?1 ORDER BY created_at DESC, id",
                                                    kTokenColumns)));
    if (partner_id) s.Bind(1, *partner_id);
    std::vector<TokenRecord> tokens;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      FW_ASSIGN_OR_RETURN(auto token, ReadToken(s));
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

  Status RevokeToken(const std::string& id, TimePoint at) override {
    FW_ASSIGN_OR_RETURN(auto find, Prepare("SELECT 1 FROM tokens WHERE id = ?"));
    find.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, find.Step());
    if (step == StepResult::kDone) {
      return Fail(ErrorCode::kNotFound, fmt::format("token {} not found", id));
    }
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"));
    return s.Bind(1, ToUnixMicros(at)).Bind(2, id).Run();
  }

  Result<int> RevokePartnerTokens(const std::string& partner_id, TimePoint at) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("UPDATE tokens SET revoked_at = ? WHERE partner_id = ? "
                                        "AND revoked_at IS NULL"));
    FW_TRY(s.Bind(1, ToUnixMicros(at)).Bind(2, partner_id).Run());
    return Changes();
  }

  // --- ledger ---
  Result<uint64_t> LedgerSize() override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves"));
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    (void)step;
    return static_cast<uint64_t>(s.Int(0));
  }

  Status AppendLedgerLeaf(const LedgerLeaf& leaf) override {
    FW_ASSIGN_OR_RETURN(uint64_t size, LedgerSize());
    if (leaf.index != size) {
      return Fail(ErrorCode::kConflict, fmt::format("ledger append at {} but the log has {} "
                                                    "entries",
                                                    leaf.index, size));
    }
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare("INSERT INTO ledger_leaves(idx, data, leaf_hash) VALUES(?, ?, ?)"));
    return s.Bind(1, static_cast<int64_t>(leaf.index))
        .BindBlob(2, leaf.data)
        .BindBlob(3, leaf.leaf_hash)
        .Run();
  }

  Result<std::optional<LedgerLeaf>> LastLedgerLeaf() override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("SELECT idx, leaf_hash FROM ledger_leaves ORDER BY idx DESC LIMIT 1"));
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<LedgerLeaf>();
    return std::optional<LedgerLeaf>(LedgerLeaf{static_cast<uint64_t>(s.Int(0)), {}, s.Blob(1)});
  }

  Result<std::vector<LedgerLeaf>> ListLedgerLeaves(uint64_t start, uint64_t end) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT idx, data, leaf_hash FROM ledger_leaves "
                                        "WHERE idx >= ? AND idx < ? ORDER BY idx"));
    s.Bind(1, static_cast<int64_t>(start)).Bind(2, static_cast<int64_t>(end));
    std::vector<LedgerLeaf> leaves;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      leaves.push_back(LedgerLeaf{static_cast<uint64_t>(s.Int(0)), s.Blob(1), s.Blob(2)});
    }
    return leaves;
  }

  Result<std::optional<LedgerLeaf>> FindLedgerLeafByHash(const std::string& leaf_hash) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT idx, data, leaf_hash FROM ledger_leaves "
                                        "WHERE leaf_hash = ? ORDER BY idx LIMIT 1"));
    s.BindBlob(1, leaf_hash);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<LedgerLeaf>();
    return std::optional<LedgerLeaf>(
        LedgerLeaf{static_cast<uint64_t>(s.Int(0)), s.Blob(1), s.Blob(2)});
  }

  Status PutLedgerNode(int level, uint64_t index, const std::string& hash) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare("INSERT INTO ledger_nodes(level, idx, hash) VALUES(?, ?, ?)"));
    return s.Bind(1, static_cast<int64_t>(level))
        .Bind(2, static_cast<int64_t>(index))
        .BindBlob(3, hash)
        .Run();
  }

  Result<std::optional<std::string>> GetLedgerNode(int level, uint64_t index) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare("SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?"));
    s.Bind(1, static_cast<int64_t>(level)).Bind(2, static_cast<int64_t>(index));
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<std::string>();
    return std::optional<std::string>(s.Blob(0));
  }

  Status InsertTreeHead(const TreeHead& head) override {
    FW_ASSIGN_OR_RETURN(auto find, Prepare("SELECT root_hash FROM tree_heads WHERE tree_size = ?"));
    find.Bind(1, static_cast<int64_t>(head.tree_size));
    FW_ASSIGN_OR_RETURN(auto step, find.Step());
    if (step == StepResult::kRow) {
      if (find.Blob(0) != head.root_hash) {
        return Fail(ErrorCode::kConflict,
                    fmt::format("a tree head of size {} with another root exists", head.tree_size));
      }
      return Ok();  // the same tree was signed before; keep the first signature
    }
    FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO tree_heads(tree_size, root_hash, timestamp, "
                                        "signature) VALUES(?, ?, ?, ?)"));
    return s.Bind(1, static_cast<int64_t>(head.tree_size))
        .BindBlob(2, head.root_hash)
        .Bind(3, ToUnixMicros(head.timestamp))
        .BindBlob(4, head.signature)
        .Run();
  }

  Result<std::optional<TreeHead>> LatestTreeHead() override {
    FW_ASSIGN_OR_RETURN(auto heads, QueryHeads("SELECT tree_size, root_hash, timestamp, "
                                               "signature FROM tree_heads ORDER BY tree_size "
                                               "DESC LIMIT 1"));
    if (heads.empty()) return std::optional<TreeHead>();
    return std::optional<TreeHead>(std::move(heads.front()));
  }

  Result<std::vector<TreeHead>> ListTreeHeads() override {
    return QueryHeads(
        "SELECT tree_size, root_hash, timestamp, signature FROM tree_heads "
        "ORDER BY tree_size");
  }

 private:
  Result<Statement> Prepare(std::string_view sql) {
    if (finished_) return Fail(ErrorCode::kInternal, "transaction used after it finished");
    return connection_->Prepare(sql);
  }

  int Changes();

  Result<std::vector<TreeHead>> QueryHeads(std::string_view sql) {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(sql));
    std::vector<TreeHead> heads;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      heads.push_back(TreeHead{static_cast<uint64_t>(s.Int(0)), s.Blob(1), FromUnixMicros(s.Int(2)),
                               s.Blob(3)});
    }
    return heads;
  }

  SqliteStore& store_;
  std::unique_ptr<Connection> connection_;
  std::unique_lock<std::timed_mutex> writer_lock_;
  bool finished_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}

  Status Migrate() {
    FW_ASSIGN_OR_RETURN(auto connection, Connection::Open(path_));
    FW_ASSIGN_OR_RETURN(int version, connection->QueryInt("PRAGMA user_version"));
    constexpr int kLatest = static_cast<int>(std::size(kMigrations));
    if (version > kLatest) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("database {} has schema version {}, newer than this forewarn "
                              "({}); upgrade forewarn",
                              path_, version, kLatest));
    }
    for (; version < kLatest; ++version) {
      FW_TRY(connection->Exec("BEGIN IMMEDIATE"));
      auto applied = connection->Exec(kMigrations[version]);
      if (applied) {
        applied = connection->Exec(fmt::format("PRAGMA user_version = {}", version + 1));
      }
      if (!applied) {
        (void)connection->Exec("ROLLBACK");
        return Fail(applied.error().code,
                    fmt::format("migration {} failed: {}", version + 1, applied.error().message));
      }
      FW_TRY(connection->Exec("COMMIT"));
    }
    schema_version_ = version;
    Release(std::move(connection));
    return Ok();
  }

  Result<std::unique_ptr<Transaction>> Begin(TxMode mode) override {
    std::unique_lock<std::timed_mutex> writer_lock(writer_mutex_, std::defer_lock);
    if (mode == TxMode::kWrite && !writer_lock.try_lock_for(kWriterWait)) {
      return Fail(ErrorCode::kUnavailable, "database is busy: no write slot within 10 seconds");
    }
    FW_ASSIGN_OR_RETURN(auto connection, Acquire());
    FW_TRY(connection->Exec(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(*this, std::move(connection), std::move(writer_lock)));
  }

  Status Ping() override {
    FW_ASSIGN_OR_RETURN(auto connection, Acquire());
    FW_TRY(connection->QueryInt("SELECT 1"));
    Release(std::move(connection));
    return Ok();
  }

  int SchemaVersion() const override { return schema_version_; }

  Result<std::unique_ptr<Connection>> Acquire() {
    {
      std::lock_guard lock(pool_mutex_);
      if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
    }
    return Connection::Open(path_);
  }

  void Release(std::unique_ptr<Connection> connection) {
    // A connection whose ROLLBACK failed still holds its transaction (and maybe the write
    // lock); close it instead of handing it to the next caller.
    if (connection->InTransaction()) return;
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
  }

 private:
  static constexpr size_t kMaxIdle = 8;
  static constexpr std::chrono::seconds kWriterWait{10};
  std::string path_;
  int schema_version_ = 0;
  std::timed_mutex writer_mutex_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

SqliteTransaction::~SqliteTransaction() {
  if (!finished_) (void)connection_->Exec("ROLLBACK");
  store_.Release(std::move(connection_));
}

int SqliteTransaction::Changes() { return connection_->Changes(); }

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqlite(const std::filesystem::path& path) {
  auto store = std::make_unique<sqlite::SqliteStore>(path.string());
  FW_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace forewarn::store
