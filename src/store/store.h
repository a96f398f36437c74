// File: store/store.h
//
// The storage interface. Every read and write happens inside a Transaction obtained from a
// Store; a Transaction that is destroyed without a successful Commit() rolls back, so a
// failed request never leaves a partial write. Backends: SQLite (store/sqlite, the embedded
// default) and, later, PostgreSQL — callers see only this header.
//
//   FW_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
//   FW_TRY(tx->InsertPartner(partner));
//   FW_TRY(tx->InsertStatusChange(change));
//   FW_TRY(tx->Commit());
//
// Thread safety: a Store may be used from many threads at once; a Transaction belongs to the
// thread that began it. Write transactions are serialized by the backend.
//
// Errors: kNotFound where a lookup by id finds nothing (Find* return std::nullopt instead);
// kConflict on a unique-key violation; kUnavailable when the database is busy or the disk
// fails; kInternal on corrupt data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/advisory.h"
#include "core/alert.h"
#include "core/auth.h"
#include "core/clock.h"
#include "core/delivery.h"
#include "core/partner.h"
#include "core/policy_version.h"
#include "core/result.h"
#include "core/tier.h"

namespace forewarn::store {

enum class TxMode { kRead, kWrite };

struct PartnerFilter {
  std::optional<PartnerStatus> status;
  std::optional<std::string> tier;
  std::optional<std::string> label;
  std::optional<std::string> country;
};

struct AdvisoryFilter {
  std::optional<std::string> cve;  // advisories whose latest revision lists this CVE id
};

struct AlertFilter {
  std::optional<AlertState> state;
  std::optional<std::string> partner_id;
  size_t limit = 1000;
};

struct DeliveryFilter {
  std::optional<std::string> advisory_id;
  std::optional<std::string> partner_id;
  std::optional<DeliveryState> state;
  bool unacknowledged_only = false;  // delivered and not yet acknowledged
  size_t limit = 1000;
};

// A position in the release schedule: rows strictly after (at, seq) in (at, seq) order.
struct ReleaseCursor {
  TimePoint at;
  int64_t seq = 0;
};

// One leaf of the audit ledger as stored: its position, the canonical JSON event and the
// RFC 6962 leaf hash of that JSON.
struct LedgerLeaf {
  uint64_t index = 0;
  std::string data;       // canonical JSON bytes
  std::string leaf_hash;  // 32 raw bytes
};

// A signed tree head as stored.
struct TreeHead {
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 raw bytes
  TimePoint timestamp;
  std::string signature;  // 64 raw bytes, Ed25519 over the head's canonical bytes
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  // Makes every change of this transaction durable. After Commit (successful or not) the
  // transaction may not be used again. kUnavailable if the database could not commit.
  [[nodiscard]] virtual Status Commit() = 0;

  // --- program settings (key/value, for small program-wide facts) ---
  [[nodiscard]] virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  [[nodiscard]] virtual Status PutSetting(const std::string& key, const std::string& value) = 0;

  // --- tiers ---
  [[nodiscard]] virtual Result<std::vector<Tier>> ListTiers() = 0;
  [[nodiscard]] virtual Result<std::optional<Tier>> FindTier(const std::string& name) = 0;
  // Inserts or replaces the tier with this name.
  [[nodiscard]] virtual Status PutTier(const Tier& tier) = 0;

  // --- partners ---
  // kConflict if the id exists.
  [[nodiscard]] virtual Status InsertPartner(const Partner& partner) = 0;
  // kNotFound if no partner has this id.
  [[nodiscard]] virtual Status UpdatePartner(const Partner& partner) = 0;
  [[nodiscard]] virtual Result<std::optional<Partner>> FindPartner(const std::string& id) = 0;
  // Ordered by creation time, then id.
  [[nodiscard]] virtual Result<std::vector<Partner>> ListPartners(const PartnerFilter& filter) = 0;
  [[nodiscard]] virtual Status InsertStatusChange(const StatusChange& change) = 0;
  // Oldest first.
  [[nodiscard]] virtual Result<std::vector<StatusChange>> ListStatusChanges(
      const std::string& partner_id) = 0;

  // --- API tokens ---
  // kConflict if the id exists.
  [[nodiscard]] virtual Status InsertToken(const TokenRecord& token) = 0;
  [[nodiscard]] virtual Result<std::optional<TokenRecord>> FindToken(const std::string& id) = 0;
  // All tokens, or only those of one partner; newest first.
  [[nodiscard]] virtual Result<std::vector<TokenRecord>> ListTokens(
      const std::optional<std::string>& partner_id) = 0;
  // Sets revoked_at if not yet revoked. kNotFound if no token has this id.
  [[nodiscard]] virtual Status RevokeToken(const std::string& id, TimePoint at) = 0;
  // Revokes every unrevoked token of the partner; returns how many.
  [[nodiscard]] virtual Result<int> RevokePartnerTokens(const std::string& partner_id,
                                                        TimePoint at) = 0;

  // --- advisories ---
  // kConflict if the id exists.
  [[nodiscard]] virtual Status InsertAdvisory(const Advisory& advisory) = 0;
  // kNotFound if no advisory has this id.
  [[nodiscard]] virtual Status UpdateAdvisory(const Advisory& advisory) = 0;
  [[nodiscard]] virtual Result<std::optional<Advisory>> FindAdvisory(const std::string& id) = 0;
  // Ordered by creation time, then id.
  [[nodiscard]] virtual Result<std::vector<Advisory>> ListAdvisories(
      const AdvisoryFilter& filter) = 0;

  // --- revisions (with their artifact sets) ---
  // kConflict if (advisory_id, number) exists; kNotFound if the advisory does not.
  [[nodiscard]] virtual Status InsertRevision(const Revision& revision) = 0;
  // Replaces every field and the artifact set. kNotFound if the revision does not exist.
  [[nodiscard]] virtual Status UpdateRevision(const Revision& revision) = 0;
  [[nodiscard]] virtual Result<std::optional<Revision>> FindRevision(const std::string& advisory_id,
                                                                     int number) = 0;
  // Oldest first.
  [[nodiscard]] virtual Result<std::vector<Revision>> ListRevisions(
      const std::string& advisory_id) = 0;

  // --- artifacts and their content ---
  // kConflict if the id exists. The content must already be stored (PutContent).
  [[nodiscard]] virtual Status InsertArtifact(const Artifact& artifact) = 0;
  [[nodiscard]] virtual Result<std::optional<Artifact>> FindArtifact(const std::string& id) = 0;
  // Every artifact ever added to the advisory, oldest first.
  [[nodiscard]] virtual Result<std::vector<Artifact>> ListArtifacts(
      const std::string& advisory_id) = 0;
  // Stores `bytes` under `sha256_hex` unless already present (content is stored once).
  [[nodiscard]] virtual Status PutContent(const std::string& sha256_hex,
                                          const std::string& bytes) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> GetContent(
      const std::string& sha256_hex) = 0;

  // --- release schedule ---
  // Inserts the row and returns its seq, larger than every seq before it (never reused).
  [[nodiscard]] virtual Result<int64_t> InsertRelease(const Release& release) = 0;
  // Deletes the row with this seq; kNotFound if none.
  [[nodiscard]] virtual Status DeleteRelease(int64_t seq) = 0;
  // Every row of the advisory, in (at, seq) order.
  [[nodiscard]] virtual Result<std::vector<Release>> ListReleases(
      const std::string& advisory_id) = 0;
  // Rows of `tier` with at <= `until`, strictly after `after` (if given) in (at, seq) order,
  // at most `limit` of them.
  [[nodiscard]] virtual Result<std::vector<Release>> ListTierReleases(
      const std::string& tier, const std::optional<ReleaseCursor>& after, TimePoint until,
      size_t limit) = 0;
  // Ids of advisories with a kWave row of `tier` at or before `until`, ordered by id.
  [[nodiscard]] virtual Result<std::vector<std::string>> ListAdvisoriesOpenedFor(
      const std::string& tier, TimePoint until) = 0;
  // Rows not yet recorded by the scheduler with at <= `until`, in (at, seq) order, at most
  // `limit`.
  [[nodiscard]] virtual Result<std::vector<Release>> ListDueReleases(TimePoint until,
                                                                     size_t limit) = 0;
  // Sets recorded_at of the row. kNotFound if no row has this seq.
  [[nodiscard]] virtual Status MarkReleaseRecorded(int64_t seq, TimePoint at) = 0;

  // --- embargo terms ---
  // Idempotent for the same (advisory, partner, terms_sha256): keeps the first acceptance.
  [[nodiscard]] virtual Status InsertTermsAcceptance(const TermsAcceptance& acceptance) = 0;
  [[nodiscard]] virtual Result<std::optional<TermsAcceptance>> FindTermsAcceptance(
      const std::string& advisory_id, const std::string& partner_id,
      const std::string& terms_sha256) = 0;

  // --- policy versions ---
  // kConflict if the version exists (two operators applied at once: the second must retry).
  [[nodiscard]] virtual Status InsertPolicyVersion(const PolicyVersion& version) = 0;
  // The highest version, or nullopt if none was ever applied.
  [[nodiscard]] virtual Result<std::optional<PolicyVersion>> LatestPolicyVersion() = 0;
  [[nodiscard]] virtual Result<std::optional<PolicyVersion>> FindPolicyVersion(int version) = 0;
  // Oldest first.
  [[nodiscard]] virtual Result<std::vector<PolicyVersion>> ListPolicyVersions() = 0;

  // --- alerts and partner activity ---
  // kConflict if the id exists.
  [[nodiscard]] virtual Status InsertAlert(const Alert& alert) = 0;
  // kNotFound if no alert has this id.
  [[nodiscard]] virtual Status UpdateAlert(const Alert& alert) = 0;
  [[nodiscard]] virtual Result<std::optional<Alert>> FindAlert(const std::string& id) = 0;
  // Newest first (raised_at, then id), at most filter.limit.
  [[nodiscard]] virtual Result<std::vector<Alert>> ListAlerts(const AlertFilter& filter) = 0;
  // How many alerts are in `state` (all alerts if unset).
  [[nodiscard]] virtual Result<int64_t> CountAlerts(std::optional<AlertState> state) = 0;
  // Adds `activity.fetches` to the partner's count for that hour (creating the row).
  [[nodiscard]] virtual Status AddActivity(const ActivityHour& activity) = 0;
  // The partner's rows with from_hour <= hour < to_hour, in hour order (hours without
  // fetches have no row).
  [[nodiscard]] virtual Result<std::vector<ActivityHour>> ListActivity(
      const std::string& partner_id, int64_t from_hour, int64_t to_hour) = 0;

  // --- push deliveries (the outbox) ---
  // Inserts `delivery` unless one with the same (partner_id, advisory_id, revision, trigger)
  // exists; returns whether it inserted (enqueueing is idempotent). kConflict if the id exists.
  [[nodiscard]] virtual Result<bool> InsertDelivery(const Delivery& delivery) = 0;
  // Replaces every field. kNotFound if no delivery has this id.
  [[nodiscard]] virtual Status UpdateDelivery(const Delivery& delivery) = 0;
  [[nodiscard]] virtual Result<std::optional<Delivery>> FindDelivery(const std::string& id) = 0;
  // Newest first (created_at, then id), at most filter.limit.
  [[nodiscard]] virtual Result<std::vector<Delivery>> ListDeliveries(
      const DeliveryFilter& filter) = 0;
  // Deliveries a worker may claim at `now`: pending with next_attempt_at <= now, and sending
  // with lease_until <= now (their worker died); ordered by next_attempt_at, then id; at most
  // `limit`.
  [[nodiscard]] virtual Result<std::vector<Delivery>> ListDueDeliveries(TimePoint now,
                                                                        size_t limit) = 0;
  // The earliest next_attempt_at of a pending delivery (or lease_until of a sending one).
  [[nodiscard]] virtual Result<std::optional<TimePoint>> NextDeliveryDue() = 0;
  // Sets every pending delivery of the partner to cancelled with `reason`; returns how many.
  // Rows being sent are left to their worker: a request already on the wire completes and is
  // recorded truthfully, and the worker's next decision (or the next claim after a crash)
  // finds the partner inactive and cancels.
  [[nodiscard]] virtual Result<int> CancelPartnerDeliveries(const std::string& partner_id,
                                                            const std::string& reason) = 0;
  // How many deliveries are in each state, indexed by DeliveryState, plus (last element) how
  // many delivered ones are unacknowledged.
  [[nodiscard]] virtual Result<std::vector<int64_t>> CountDeliveries() = 0;

  // --- audit ledger storage (the Merkle logic lives in ledger/) ---
  // Number of leaves.
  [[nodiscard]] virtual Result<uint64_t> LedgerSize() = 0;
  // kConflict unless leaf.index == LedgerSize() (appends are strictly sequential).
  [[nodiscard]] virtual Status AppendLedgerLeaf(const LedgerLeaf& leaf) = 0;
  // The leaf with the highest index, or nullopt for an empty log.
  [[nodiscard]] virtual Result<std::optional<LedgerLeaf>> LastLedgerLeaf() = 0;
  // Leaves with start <= index < end, in order.
  [[nodiscard]] virtual Result<std::vector<LedgerLeaf>> ListLedgerLeaves(uint64_t start,
                                                                         uint64_t end) = 0;
  [[nodiscard]] virtual Result<std::optional<LedgerLeaf>> FindLedgerLeafByHash(
      const std::string& leaf_hash) = 0;
  // Hash of the perfect subtree at `level` covering leaves [index << level, (index+1) << level).
  [[nodiscard]] virtual Status PutLedgerNode(int level, uint64_t index,
                                             const std::string& hash) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> GetLedgerNode(int level,
                                                                         uint64_t index) = 0;
  // kConflict if a head of this size exists with a different root.
  [[nodiscard]] virtual Status InsertTreeHead(const TreeHead& head) = 0;
  [[nodiscard]] virtual Result<std::optional<TreeHead>> LatestTreeHead() = 0;
  [[nodiscard]] virtual Result<std::vector<TreeHead>> ListTreeHeads() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Begins a transaction. kUnavailable if the database cannot be reached or stays busy.
  [[nodiscard]] virtual Result<std::unique_ptr<Transaction>> Begin(TxMode mode) = 0;

  // Cheap liveness check for /healthz.
  [[nodiscard]] virtual Status Ping() = 0;

  // The schema version after migrations.
  virtual int SchemaVersion() const = 0;
};

// Opens (creating if absent) the SQLite database at `path`, in WAL mode with foreign keys and a
// busy timeout, and applies pending migrations. kUnavailable if the file cannot be opened;
// kFailedPrecondition if the database was written by a newer forewarn.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenSqlite(const std::filesystem::path& path);

}  // namespace forewarn::store
