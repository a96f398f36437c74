// The SQLite backend of store::Store: a small pool of connections in WAL mode. Write
// transactions are serialized in-process (one writer at a time, as SQLite requires) and begin
// IMMEDIATE so they never fail halfway on a lock upgrade.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
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

// A stored enum name or JSON document that does not parse was not written by this code: the
// database is corrupt, which is kInternal rather than the caller's kInvalidArgument.
template <class T>
Result<T> Stored(Result<T> parsed, std::string_view what) {
  if (!parsed) {
    return Fail(ErrorCode::kInternal,
                fmt::format("stored {} is corrupt: {}", what, parsed.error().message));
  }
  return parsed;
}

// Rewords a constraint violation so that it names the object; other errors pass unchanged.
Error ExplainConflict(Error error, std::string_view what) {
  if (error.code == ErrorCode::kConflict) {
    error.message = fmt::format("{} cannot be stored: {}", what, error.message);
  }
  return error;
}

Status ExplainConflict(Status status, std::string_view what) {
  if (status) return status;
  return tl::unexpected<Error>(ExplainConflict(status.error(), what));
}

// Reads every remaining row of `s` with `read`.
template <class T>
Result<std::vector<T>> ReadAll(Statement& s, Result<T> (*read)(const Statement&)) {
  std::vector<T> rows;
  while (true) {
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) break;
    FW_ASSIGN_OR_RETURN(auto row, read(s));
    rows.push_back(std::move(row));
  }
  return rows;
}

int64_t LimitParam(size_t limit) {
  return static_cast<int64_t>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
}

// dump() throws on text that is not UTF-8; that is the caller's input, not a store failure.
Result<std::string> ContentJson(const AdvisoryContent& content) {
  json products = json::array();
  for (const auto& p : content.products) {
    products.push_back({{"name", p.name}, {"versions", p.versions}, {"fixed", p.fixed}});
  }
  const json object = {{"title", content.title},
                       {"description", content.description},
                       {"cves", content.cves},
                       {"products", std::move(products)},
                       {"cvss_vectors", content.cvss_vectors},
                       {"terms", content.terms}};
  try {
    return object.dump();
  } catch (const json::exception&) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("advisory content '{}' is not valid UTF-8",
                                                         content.title.substr(0, 64)));
  }
}

// Checked reads of one member: false if it is missing or of another type (never throws).
bool ReadJsonString(const json& object, const char* key, std::string& out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool ReadJsonStrings(const json& object, const char* key, std::vector<std::string>& out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return false;
  for (const auto& value : *it) {
    if (!value.is_string()) return false;
    out.push_back(value.get<std::string>());
  }
  return true;
}

bool ReadJsonProducts(const json& object, std::vector<Product>& out) {
  const auto it = object.find("products");
  if (it == object.end() || !it->is_array()) return false;
  for (const auto& value : *it) {
    Product p;
    if (!value.is_object() || !ReadJsonString(value, "name", p.name) ||
        !ReadJsonString(value, "versions", p.versions) ||
        !ReadJsonString(value, "fixed", p.fixed)) {
      return false;
    }
    out.push_back(std::move(p));
  }
  return true;
}

Result<AdvisoryContent> ParseContent(const std::string& text) {
  const json object = json::parse(text, nullptr, false);
  AdvisoryContent content;
  const bool ok = object.is_object() && ReadJsonString(object, "title", content.title) &&
                  ReadJsonString(object, "description", content.description) &&
                  ReadJsonStrings(object, "cves", content.cves) &&
                  ReadJsonProducts(object, content.products) &&
                  ReadJsonStrings(object, "cvss_vectors", content.cvss_vectors) &&
                  ReadJsonString(object, "terms", content.terms);
  if (!ok) return Fail(ErrorCode::kInternal, "stored advisory content is corrupt");
  return content;
}

constexpr std::string_view kAdvisoryColumns =
    "id, public_at, latest_revision, created_by, created_at, updated_at, withdrawn_at, "
    "withdrawn_reason, recorded_status";

Result<Advisory> ReadAdvisory(const Statement& s) {
  Advisory a;
  a.id = s.Text(0);
  a.public_at = FromUnixMicros(s.Int(1));
  a.latest_revision = static_cast<int>(s.Int(2));
  a.created_by = s.Text(3);
  a.created_at = FromUnixMicros(s.Int(4));
  a.updated_at = FromUnixMicros(s.Int(5));
  a.withdrawn_at = OptionalTime(s.OptionalInt(6));
  a.withdrawn_reason = s.Text(7);
  FW_ASSIGN_OR_RETURN(a.recorded_status, Stored(ParseAdvisoryStatus(s.Text(8)), "advisory status"));
  return a;
}

// Binds parameters 1..9 in kAdvisoryColumns order.
void BindAdvisory(Statement& s, const Advisory& a) {
  s.Bind(1, a.id).Bind(2, ToUnixMicros(a.public_at)).Bind(3, int64_t{a.latest_revision});
  s.Bind(4, a.created_by).Bind(5, ToUnixMicros(a.created_at)).Bind(6, ToUnixMicros(a.updated_at));
  s.Bind(7, OptionalMicros(a.withdrawn_at)).Bind(8, a.withdrawn_reason);
  s.Bind(9, ToString(a.recorded_status));
}

constexpr std::string_view kPolicyColumns = "version, text, sha256, author, comment, applied_at";

Result<PolicyVersion> ReadPolicyVersion(const Statement& s) {
  return PolicyVersion{.version = static_cast<int>(s.Int(0)),
                       .text = s.Text(1),
                       .sha256 = s.Text(2),
                       .author = s.Text(3),
                       .comment = s.Text(4),
                       .applied_at = FromUnixMicros(s.Int(5))};
}

constexpr std::string_view kAlertColumns =
    "id, partner_id, kind, state, summary, evidence, raised_at, updated_at, acknowledged_by, "
    "acknowledged_at, note";

Result<Alert> ReadAlert(const Statement& s) {
  Alert a;
  a.id = s.Text(0);
  a.partner_id = s.Text(1);
  FW_ASSIGN_OR_RETURN(a.kind, Stored(ParseAlertKind(s.Text(2)), "alert kind"));
  FW_ASSIGN_OR_RETURN(a.state, Stored(ParseAlertState(s.Text(3)), "alert state"));
  a.summary = s.Text(4);
  a.evidence = s.Text(5);
  a.raised_at = FromUnixMicros(s.Int(6));
  a.updated_at = FromUnixMicros(s.Int(7));
  a.acknowledged_by = s.Text(8);
  a.acknowledged_at = OptionalTime(s.OptionalInt(9));
  a.note = s.Text(10);
  return a;
}

// Binds parameters 1..11 in kAlertColumns order.
void BindAlert(Statement& s, const Alert& a) {
  s.Bind(1, a.id).Bind(2, a.partner_id).Bind(3, ToString(a.kind)).Bind(4, ToString(a.state));
  s.Bind(5, a.summary).Bind(6, a.evidence).Bind(7, ToUnixMicros(a.raised_at));
  s.Bind(8, ToUnixMicros(a.updated_at)).Bind(9, a.acknowledged_by);
  s.Bind(10, OptionalMicros(a.acknowledged_at)).Bind(11, a.note);
}

constexpr std::string_view kDeliveryColumns =
    "id, partner_id, advisory_id, revision, trigger, state, attempts, created_at, "
    "next_attempt_at, lease_until, claim_token, last_attempt_at, last_error, delivered_at, "
    "package_sha256, ledger_index, acknowledged_at, acknowledged_via, cancel_reason";

Result<Delivery> ReadDelivery(const Statement& s) {
  Delivery d;
  d.id = s.Text(0);
  d.partner_id = s.Text(1);
  d.advisory_id = s.Text(2);
  d.revision = static_cast<int>(s.Int(3));
  d.trigger = s.Text(4);
  FW_ASSIGN_OR_RETURN(d.state, Stored(ParseDeliveryState(s.Text(5)), "delivery state"));
  d.attempts = static_cast<int>(s.Int(6));
  d.created_at = FromUnixMicros(s.Int(7));
  d.next_attempt_at = FromUnixMicros(s.Int(8));
  d.lease_until = OptionalTime(s.OptionalInt(9));
  d.claim_token = s.Text(10);
  d.last_attempt_at = OptionalTime(s.OptionalInt(11));
  d.last_error = s.Text(12);
  d.delivered_at = OptionalTime(s.OptionalInt(13));
  d.package_sha256 = s.Text(14);
  if (const auto index = s.OptionalInt(15)) d.ledger_index = static_cast<uint64_t>(*index);
  d.acknowledged_at = OptionalTime(s.OptionalInt(16));
  d.acknowledged_via = s.Text(17);
  d.cancel_reason = s.Text(18);
  return d;
}

// Binds parameters 1..19 in kDeliveryColumns order.
void BindDelivery(Statement& s, const Delivery& d) {
  s.Bind(1, d.id).Bind(2, d.partner_id).Bind(3, d.advisory_id).Bind(4, int64_t{d.revision});
  s.Bind(5, d.trigger).Bind(6, ToString(d.state)).Bind(7, int64_t{d.attempts});
  s.Bind(8, ToUnixMicros(d.created_at)).Bind(9, ToUnixMicros(d.next_attempt_at));
  s.Bind(10, OptionalMicros(d.lease_until)).Bind(11, d.claim_token);
  s.Bind(12, OptionalMicros(d.last_attempt_at)).Bind(13, d.last_error);
  s.Bind(14, OptionalMicros(d.delivered_at)).Bind(15, d.package_sha256);
  if (d.ledger_index) {
    // Ledger indexes stay far below 2^63; the cast round-trips in ReadDelivery either way.
    s.Bind(16, static_cast<int64_t>(*d.ledger_index));
  } else {
    s.BindNull(16);
  }
  s.Bind(17, OptionalMicros(d.acknowledged_at)).Bind(18, d.acknowledged_via);
  s.Bind(19, d.cancel_reason);
}

// The key fields must be set: an empty one is a caller's bug, not a row to store.
Status CheckDeliveryKey(const Delivery& d) {
  const char* missing = d.id.empty()            ? "id"
                        : d.partner_id.empty()  ? "partner_id"
                        : d.advisory_id.empty() ? "advisory_id"
                        : d.trigger.empty()     ? "trigger"
                                                : nullptr;
  if (missing != nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("delivery '{}' has an empty {}", d.id.substr(0, 64), missing));
  }
  return Ok();
}

constexpr std::string_view kRevisionColumns =
    "advisory_id, number, state, summary, content, terms_sha256, created_by, created_at, "
    "release_at";

// Everything but artifact_ids, which live in revision_artifacts.
Result<Revision> ReadRevision(const Statement& s) {
  Revision r;
  r.advisory_id = s.Text(0);
  r.number = static_cast<int>(s.Int(1));
  FW_ASSIGN_OR_RETURN(r.state, Stored(ParseRevisionState(s.Text(2)), "revision state"));
  r.summary = s.Text(3);
  FW_ASSIGN_OR_RETURN(r.content, ParseContent(s.Text(4)));
  r.terms_sha256 = s.Text(5);
  r.created_by = s.Text(6);
  r.created_at = FromUnixMicros(s.Int(7));
  r.release_at = OptionalTime(s.OptionalInt(8));
  return r;
}

// Binds parameters 1..9 in kRevisionColumns order; `content` is ContentJson(r.content).
void BindRevision(Statement& s, const Revision& r, const std::string& content) {
  s.Bind(1, r.advisory_id).Bind(2, int64_t{r.number}).Bind(3, ToString(r.state));
  s.Bind(4, r.summary).Bind(5, content).Bind(6, r.terms_sha256).Bind(7, r.created_by);
  s.Bind(8, ToUnixMicros(r.created_at)).Bind(9, OptionalMicros(r.release_at));
}

constexpr std::string_view kArtifactColumns =
    "id, advisory_id, revision, kind, title, media_type, sensitivity, filename, content_sha256, "
    "size, alternative_of, replaces, created_by, created_at";

Result<Artifact> ReadArtifact(const Statement& s) {
  Artifact a;
  a.id = s.Text(0);
  a.advisory_id = s.Text(1);
  a.revision = static_cast<int>(s.Int(2));
  FW_ASSIGN_OR_RETURN(a.kind, Stored(ParseArtifactKind(s.Text(3)), "artifact kind"));
  a.title = s.Text(4);
  a.media_type = s.Text(5);
  FW_ASSIGN_OR_RETURN(a.sensitivity, Stored(ParseSensitivity(s.Text(6)), "artifact sensitivity"));
  a.filename = s.Text(7);
  a.content_sha256 = s.Text(8);
  a.size = static_cast<uint64_t>(s.Int(9));  // CHECK (size >= 0) in the schema
  a.alternative_of = s.Text(10);
  a.replaces = s.Text(11);
  a.created_by = s.Text(12);
  a.created_at = FromUnixMicros(s.Int(13));
  return a;
}

constexpr std::string_view kReleaseColumns =
    "seq, advisory_id, revision, tier, kind, at, explicit_time, recorded_at";

Result<Release> ReadRelease(const Statement& s) {
  Release r;
  r.seq = s.Int(0);
  r.advisory_id = s.Text(1);
  r.revision = static_cast<int>(s.Int(2));
  r.tier = s.Text(3);
  FW_ASSIGN_OR_RETURN(r.kind, Stored(ParseReleaseKind(s.Text(4)), "release kind"));
  r.at = FromUnixMicros(s.Int(5));
  r.explicit_time = s.Int(6) != 0;
  r.recorded_at = OptionalTime(s.OptionalInt(7));
  return r;
}

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

  // --- advisories ---
  Status InsertAdvisory(const Advisory& advisory) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("INSERT INTO advisories({}) VALUES(?, ?, ?, "
                                                    "?, ?, ?, ?, ?, ?)",
                                                    kAdvisoryColumns)));
    BindAdvisory(s, advisory);
    return ExplainConflict(s.Run(), fmt::format("advisory {}", advisory.id));
  }

  Status UpdateAdvisory(const Advisory& advisory) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("UPDATE advisories SET public_at = ?2, latest_revision = ?3, "
                        "created_by = ?4, created_at = ?5, updated_at = ?6, withdrawn_at = ?7, "
                        "withdrawn_reason = ?8, recorded_status = ?9 WHERE id = ?1"));
    BindAdvisory(s, advisory);
    FW_TRY(s.Run());
    if (Changes() == 0) {
      return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", advisory.id));
    }
    return Ok();
  }

  Result<std::optional<Advisory>> FindAdvisory(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM advisories WHERE id = ?", kAdvisoryColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Advisory>();
    FW_ASSIGN_OR_RETURN(auto advisory, ReadAdvisory(s));
    return std::optional<Advisory>(std::move(advisory));
  }

  Result<std::vector<Advisory>> ListAdvisories(const AdvisoryFilter& filter) override {
    // The CVE filter looks only at the latest revision's stored cves array; NULL disables it.
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM advisories a WHERE ?1 IS NULL OR EXISTS "
                                    "(SELECT 1 FROM revisions r, json_each(r.content, '$.cves') c "
                                    "WHERE r.advisory_id = a.id AND r.number = a.latest_revision "
                                    "AND c.value = ?1) ORDER BY created_at, id",
                                    kAdvisoryColumns)));
    if (filter.cve) s.Bind(1, *filter.cve);
    return ReadAll(s, ReadAdvisory);
  }

  // --- revisions ---
  Status InsertRevision(const Revision& revision) override {
    FW_ASSIGN_OR_RETURN(auto advisory, Prepare("SELECT 1 FROM advisories WHERE id = ?"));
    advisory.Bind(1, revision.advisory_id);
    FW_ASSIGN_OR_RETURN(auto found, advisory.Step());
    if (found == StepResult::kDone) {
      return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", revision.advisory_id));
    }
    FW_ASSIGN_OR_RETURN(auto content, ContentJson(revision.content));
    return Atomically([&]() -> Status {
      FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("INSERT INTO revisions({}) VALUES(?, ?, ?, "
                                                      "?, ?, ?, ?, ?, ?)",
                                                      kRevisionColumns)));
      BindRevision(s, revision, content);
      FW_TRY(ExplainConflict(s.Run(), fmt::format("revision {} of advisory {}", revision.number,
                                                  revision.advisory_id)));
      return InsertRevisionArtifacts(revision);
    });
  }

  Status UpdateRevision(const Revision& revision) override {
    FW_ASSIGN_OR_RETURN(auto content, ContentJson(revision.content));
    return Atomically([&]() -> Status {
      FW_ASSIGN_OR_RETURN(
          auto s, Prepare("UPDATE revisions SET state = ?3, summary = ?4, content = ?5, "
                          "terms_sha256 = ?6, created_by = ?7, created_at = ?8, release_at = ?9 "
                          "WHERE advisory_id = ?1 AND number = ?2"));
      BindRevision(s, revision, content);
      FW_TRY(s.Run());
      if (Changes() == 0) {
        return Fail(ErrorCode::kNotFound, fmt::format("revision {} of advisory {} not found",
                                                      revision.number, revision.advisory_id));
      }
      FW_ASSIGN_OR_RETURN(auto clear, Prepare("DELETE FROM revision_artifacts WHERE "
                                              "advisory_id = ? AND revision = ?"));
      FW_TRY(clear.Bind(1, revision.advisory_id).Bind(2, int64_t{revision.number}).Run());
      return InsertRevisionArtifacts(revision);
    });
  }

  Result<std::optional<Revision>> FindRevision(const std::string& advisory_id,
                                               int number) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM revisions WHERE "
                                                    "advisory_id = ? AND number = ?",
                                                    kRevisionColumns)));
    s.Bind(1, advisory_id).Bind(2, int64_t{number});
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Revision>();
    FW_ASSIGN_OR_RETURN(auto revision, ReadRevision(s));
    FW_ASSIGN_OR_RETURN(revision.artifact_ids, ListRevisionArtifacts(advisory_id, number));
    return std::optional<Revision>(std::move(revision));
  }

  Result<std::vector<Revision>> ListRevisions(const std::string& advisory_id) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM revisions WHERE "
                                                    "advisory_id = ? ORDER BY number",
                                                    kRevisionColumns)));
    s.Bind(1, advisory_id);
    FW_ASSIGN_OR_RETURN(auto revisions, ReadAll(s, ReadRevision));
    for (auto& revision : revisions) {
      FW_ASSIGN_OR_RETURN(revision.artifact_ids,
                          ListRevisionArtifacts(advisory_id, revision.number));
    }
    return revisions;
  }

  // --- artifacts and content ---
  Status InsertArtifact(const Artifact& artifact) override {
    if (artifact.size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("artifact {} size {} is too large", artifact.id, artifact.size));
    }
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("INSERT INTO artifacts({}) VALUES(?, ?, ?, "
                                                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                    kArtifactColumns)));
    s.Bind(1, artifact.id).Bind(2, artifact.advisory_id).Bind(3, int64_t{artifact.revision});
    s.Bind(4, ToString(artifact.kind)).Bind(5, artifact.title).Bind(6, artifact.media_type);
    s.Bind(7, ToString(artifact.sensitivity)).Bind(8, artifact.filename);
    s.Bind(9, artifact.content_sha256).Bind(10, static_cast<int64_t>(artifact.size));
    s.Bind(11, artifact.alternative_of).Bind(12, artifact.replaces);
    s.Bind(13, artifact.created_by).Bind(14, ToUnixMicros(artifact.created_at));
    return ExplainConflict(s.Run(), fmt::format("artifact {}", artifact.id));
  }

  Result<std::optional<Artifact>> FindArtifact(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM artifacts WHERE id = ?", kArtifactColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Artifact>();
    FW_ASSIGN_OR_RETURN(auto artifact, ReadArtifact(s));
    return std::optional<Artifact>(std::move(artifact));
  }

  Result<std::vector<Artifact>> ListArtifacts(const std::string& advisory_id) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM artifacts WHERE "
                                                    "advisory_id = ? ORDER BY created_at, id",
                                                    kArtifactColumns)));
    s.Bind(1, advisory_id);
    return ReadAll(s, ReadArtifact);
  }

  Status PutContent(const std::string& sha256_hex, const std::string& bytes) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO content_blobs(sha256, size, data) "
                                        "VALUES(?, ?, ?) ON CONFLICT(sha256) DO NOTHING"));
    return s.Bind(1, sha256_hex)
        .Bind(2, static_cast<int64_t>(bytes.size()))
        .BindBlob(3, bytes)
        .Run();
  }

  Result<std::optional<std::string>> GetContent(const std::string& sha256_hex) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT data FROM content_blobs WHERE sha256 = ?"));
    s.Bind(1, sha256_hex);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<std::string>();
    return std::optional<std::string>(s.Blob(0));
  }

  // --- release schedule ---
  Result<int64_t> InsertRelease(const Release& release) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO releases(advisory_id, revision, tier, kind, "
                                        "at, explicit_time, recorded_at) "
                                        "VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING seq"));
    s.Bind(1, release.advisory_id).Bind(2, int64_t{release.revision}).Bind(3, release.tier);
    s.Bind(4, ToString(release.kind)).Bind(5, ToUnixMicros(release.at));
    s.Bind(6, int64_t{release.explicit_time ? 1 : 0}).Bind(7, OptionalMicros(release.recorded_at));
    auto step = s.Step();
    if (!step) {
      return tl::unexpected<Error>(ExplainConflict(
          step.error(),
          fmt::format("release of advisory {} for tier {}", release.advisory_id, release.tier)));
    }
    if (*step != StepResult::kRow) {
      return Fail(ErrorCode::kInternal, "database insert returned no seq");
    }
    const int64_t seq = s.Int(0);
    FW_ASSIGN_OR_RETURN(auto done, s.Step());
    if (done != StepResult::kDone) {
      return Fail(ErrorCode::kInternal, "database insert returned more than one seq");
    }
    return seq;
  }

  Status DeleteRelease(int64_t seq) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("DELETE FROM releases WHERE seq = ?"));
    FW_TRY(s.Bind(1, seq).Run());
    if (Changes() == 0) return Fail(ErrorCode::kNotFound, fmt::format("release {} not found", seq));
    return Ok();
  }

  Result<std::vector<Release>> ListReleases(const std::string& advisory_id) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM releases WHERE "
                                                    "advisory_id = ? ORDER BY at, seq",
                                                    kReleaseColumns)));
    s.Bind(1, advisory_id);
    return ReadAll(s, ReadRelease);
  }

  Result<std::vector<Release>> ListTierReleases(const std::string& tier,
                                                const std::optional<ReleaseCursor>& after,
                                                TimePoint until, size_t limit) override {
    // Without a cursor, start below every possible (at, seq) so one statement serves both.
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM releases WHERE tier = ?1 AND "
                                                    "at <= ?2 AND (at, seq) > (?3, ?4) "
                                                    "ORDER BY at, seq LIMIT ?5",
                                                    kReleaseColumns)));
    constexpr int64_t kBeforeAll = std::numeric_limits<int64_t>::min();
    s.Bind(1, tier).Bind(2, ToUnixMicros(until));
    s.Bind(3, after ? ToUnixMicros(after->at) : kBeforeAll)
        .Bind(4, after ? after->seq : kBeforeAll);
    s.Bind(5, LimitParam(limit));
    return ReadAll(s, ReadRelease);
  }

  Result<std::vector<std::string>> ListAdvisoriesOpenedFor(const std::string& tier,
                                                           TimePoint until) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT DISTINCT advisory_id FROM releases WHERE "
                                        "tier = ? AND kind = ? AND at <= ? ORDER BY advisory_id"));
    s.Bind(1, tier).Bind(2, ToString(ReleaseKind::kWave)).Bind(3, ToUnixMicros(until));
    std::vector<std::string> ids;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      ids.push_back(s.Text(0));
    }
    return ids;
  }

  Result<std::vector<Release>> ListDueReleases(TimePoint until, size_t limit) override {
    // "recorded_at IS NULL" matches the partial index releases_due.
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM releases WHERE recorded_at IS "
                                                    "NULL AND at <= ? ORDER BY at, seq LIMIT ?",
                                                    kReleaseColumns)));
    s.Bind(1, ToUnixMicros(until)).Bind(2, LimitParam(limit));
    return ReadAll(s, ReadRelease);
  }

  Status MarkReleaseRecorded(int64_t seq, TimePoint at) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("UPDATE releases SET recorded_at = ? WHERE seq = ?"));
    FW_TRY(s.Bind(1, ToUnixMicros(at)).Bind(2, seq).Run());
    if (Changes() == 0) return Fail(ErrorCode::kNotFound, fmt::format("release {} not found", seq));
    return Ok();
  }

  // --- embargo terms ---
  Status InsertTermsAcceptance(const TermsAcceptance& acceptance) override {
    // Only the primary key may collide silently; a missing advisory or partner still fails.
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("INSERT INTO terms_acceptances(advisory_id, partner_id, terms_sha256, "
                        "revision, actor, accepted_at) VALUES(?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(advisory_id, partner_id, terms_sha256) DO NOTHING"));
    s.Bind(1, acceptance.advisory_id).Bind(2, acceptance.partner_id);
    s.Bind(3, acceptance.terms_sha256).Bind(4, int64_t{acceptance.revision});
    s.Bind(5, acceptance.actor).Bind(6, ToUnixMicros(acceptance.accepted_at));
    return ExplainConflict(s.Run(), fmt::format("terms acceptance of advisory {} by partner {}",
                                                acceptance.advisory_id, acceptance.partner_id));
  }

  Result<std::optional<TermsAcceptance>> FindTermsAcceptance(
      const std::string& advisory_id, const std::string& partner_id,
      const std::string& terms_sha256) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT advisory_id, revision, partner_id, terms_sha256, "
                                        "actor, accepted_at FROM terms_acceptances WHERE "
                                        "advisory_id = ? AND partner_id = ? AND terms_sha256 = ?"));
    s.Bind(1, advisory_id).Bind(2, partner_id).Bind(3, terms_sha256);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<TermsAcceptance>();
    return std::optional<TermsAcceptance>(TermsAcceptance{s.Text(0), static_cast<int>(s.Int(1)),
                                                          s.Text(2), s.Text(3), s.Text(4),
                                                          FromUnixMicros(s.Int(5))});
  }

  // --- policy versions ---
  Status InsertPolicyVersion(const PolicyVersion& v) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("INSERT INTO policy_versions({}) VALUES(?, ?, ?, ?, ?, ?)",
                                    kPolicyColumns)));
    s.Bind(1, int64_t{v.version}).Bind(2, v.text).Bind(3, v.sha256).Bind(4, v.author);
    s.Bind(5, v.comment).Bind(6, ToUnixMicros(v.applied_at));
    return ExplainConflict(s.Run(), fmt::format("policy version {}", v.version));
  }

  Result<std::optional<PolicyVersion>> LatestPolicyVersion() override {
    return OnePolicyVersion(
        fmt::format("SELECT {} FROM policy_versions ORDER BY version DESC LIMIT 1", kPolicyColumns),
        {});
  }

  Result<std::optional<PolicyVersion>> FindPolicyVersion(int version) override {
    return OnePolicyVersion(
        fmt::format("SELECT {} FROM policy_versions WHERE version = ?", kPolicyColumns), version);
  }

  Result<std::vector<PolicyVersion>> ListPolicyVersions() override {
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare(fmt::format("SELECT {} FROM policy_versions ORDER BY version", kPolicyColumns)));
    return ReadAll(s, ReadPolicyVersion);
  }

  // --- alerts and activity ---
  Status InsertAlert(const Alert& alert) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("INSERT INTO alerts({}) VALUES(?, ?, ?, ?, ?, "
                                                    "?, ?, ?, ?, ?, ?)",
                                                    kAlertColumns)));
    BindAlert(s, alert);
    return ExplainConflict(s.Run(), fmt::format("alert {}", alert.id));
  }

  Status UpdateAlert(const Alert& alert) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare("UPDATE alerts SET partner_id = ?2, kind = ?3, state = ?4, summary = ?5, "
                        "evidence = ?6, raised_at = ?7, updated_at = ?8, acknowledged_by = ?9, "
                        "acknowledged_at = ?10, note = ?11 WHERE id = ?1"));
    BindAlert(s, alert);
    FW_TRY(s.Run());
    if (Changes() == 0)
      return Fail(ErrorCode::kNotFound, fmt::format("alert {} not found", alert.id));
    return Ok();
  }

  Result<std::optional<Alert>> FindAlert(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare(fmt::format("SELECT {} FROM alerts WHERE id = ?", kAlertColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Alert>();
    FW_ASSIGN_OR_RETURN(auto alert, ReadAlert(s));
    return std::optional<Alert>(std::move(alert));
  }

  Result<std::vector<Alert>> ListAlerts(const AlertFilter& filter) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM alerts WHERE (?1 IS NULL OR state = ?1) AND "
                                    "(?2 IS NULL OR partner_id = ?2) ORDER BY raised_at DESC, id "
                                    "DESC LIMIT ?3",
                                    kAlertColumns)));
    if (filter.state) s.Bind(1, ToString(*filter.state));
    if (filter.partner_id) s.Bind(2, *filter.partner_id);
    s.Bind(3, static_cast<int64_t>(filter.limit));
    return ReadAll(s, ReadAlert);
  }

  Result<int64_t> CountAlerts(std::optional<AlertState> state) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare("SELECT COUNT(*) FROM alerts WHERE ?1 IS NULL OR state = ?1"));
    if (state) s.Bind(1, ToString(*state));
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    (void)step;
    return s.Int(0);
  }

  Status AddActivity(const ActivityHour& activity) override {
    FW_ASSIGN_OR_RETURN(auto s,
                        Prepare("INSERT INTO partner_activity(partner_id, hour, fetches) "
                                "VALUES(?1, ?2, ?3) ON CONFLICT(partner_id, hour) DO UPDATE SET "
                                "fetches = fetches + excluded.fetches"));
    s.Bind(1, activity.partner_id).Bind(2, activity.hour).Bind(3, activity.fetches);
    return s.Run();
  }

  Result<std::vector<ActivityHour>> ListActivity(const std::string& partner_id, int64_t from_hour,
                                                 int64_t to_hour) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT partner_id, hour, fetches FROM partner_activity "
                                        "WHERE partner_id = ? AND hour >= ? AND hour < ? ORDER "
                                        "BY hour"));
    s.Bind(1, partner_id).Bind(2, from_hour).Bind(3, to_hour);
    return ReadAll(
        s, +[](const Statement& row) -> Result<ActivityHour> {
          return ActivityHour{row.Text(0), row.Int(1), row.Int(2)};
        });
  }

  // --- push deliveries ---
  Result<bool> InsertDelivery(const Delivery& delivery) override {
    FW_TRY(CheckDeliveryKey(delivery));
    // Only the (partner, advisory, revision, trigger) key may collide silently; SQLite checks
    // that target first, so an id that exists with another key still fails (kConflict).
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare(fmt::format("INSERT INTO deliveries({}) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                            "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(partner_id, advisory_id, "
                            "revision, trigger) DO NOTHING",
                            kDeliveryColumns)));
    BindDelivery(s, delivery);
    FW_TRY(ExplainConflict(s.Run(), fmt::format("delivery {}", delivery.id)));
    return Changes() > 0;
  }

  Status UpdateDelivery(const Delivery& delivery) override {
    FW_TRY(CheckDeliveryKey(delivery));
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare(
            "UPDATE deliveries SET partner_id = ?2, advisory_id = ?3, revision = ?4, "
            "trigger = ?5, state = ?6, attempts = ?7, created_at = ?8, next_attempt_at = ?9, "
            "lease_until = ?10, claim_token = ?11, last_attempt_at = ?12, last_error = ?13, "
            "delivered_at = ?14, package_sha256 = ?15, ledger_index = ?16, "
            "acknowledged_at = ?17, acknowledged_via = ?18, cancel_reason = ?19 WHERE id = ?1"));
    BindDelivery(s, delivery);
    FW_TRY(ExplainConflict(s.Run(), fmt::format("delivery {}", delivery.id)));
    if (Changes() == 0) {
      return Fail(ErrorCode::kNotFound, fmt::format("delivery {} not found", delivery.id));
    }
    return Ok();
  }

  Result<std::optional<Delivery>> FindDelivery(const std::string& id) override {
    FW_ASSIGN_OR_RETURN(
        auto s, Prepare(fmt::format("SELECT {} FROM deliveries WHERE id = ?", kDeliveryColumns)));
    s.Bind(1, id);
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) return std::optional<Delivery>();
    FW_ASSIGN_OR_RETURN(auto delivery, ReadDelivery(s));
    return std::optional<Delivery>(std::move(delivery));
  }

  Result<std::vector<Delivery>> ListDeliveries(const DeliveryFilter& filter) override {
    // Only the filters that are set appear in the text (at most 16 cached variants), so the
    // planner can use the advisory or partner index instead of "?1 IS NULL OR ..." scans.
    std::string where = "1";
    if (filter.advisory_id) where += " AND advisory_id = ?1";
    if (filter.partner_id) where += " AND partner_id = ?2";
    if (filter.state) where += " AND state = ?3";
    if (filter.unacknowledged_only) where += " AND state = 'delivered' AND acknowledged_at IS NULL";
    FW_ASSIGN_OR_RETURN(auto s, Prepare(fmt::format("SELECT {} FROM deliveries WHERE {} ORDER BY "
                                                    "created_at DESC, id DESC LIMIT ?4",
                                                    kDeliveryColumns, where)));
    if (filter.advisory_id) s.Bind(1, *filter.advisory_id);
    if (filter.partner_id) s.Bind(2, *filter.partner_id);
    if (filter.state) s.Bind(3, ToString(*filter.state));
    s.Bind(4, LimitParam(filter.limit));
    return ReadAll(s, ReadDelivery);
  }

  Result<std::vector<Delivery>> ListDueDeliveries(TimePoint now, size_t limit) override {
    // Each half walks its own index in due order and stops at the limit; the outer query
    // merges the two (at most 2 * limit rows). The state names are literals so that the
    // partial index deliveries_lease applies.
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare(fmt::format(
            "SELECT {0} FROM ("
            "SELECT {0}, due FROM (SELECT {0}, next_attempt_at AS due FROM deliveries "
            "WHERE state = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id "
            "LIMIT ?2) "
            "UNION ALL "
            "SELECT {0}, due FROM (SELECT {0}, lease_until AS due FROM deliveries "
            "WHERE state = 'sending' AND lease_until <= ?1 ORDER BY lease_until, id LIMIT ?2)"
            ") ORDER BY due, id LIMIT ?2",
            kDeliveryColumns)));
    s.Bind(1, ToUnixMicros(now)).Bind(2, LimitParam(limit));
    return ReadAll(s, ReadDelivery);
  }

  Result<std::optional<TimePoint>> NextDeliveryDue() override {
    // Two index lookups (deliveries_due, deliveries_lease); MIN skips the NULL of an empty half.
    FW_ASSIGN_OR_RETURN(
        auto s,
        Prepare("SELECT MIN(due) FROM ("
                "SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE state = 'pending' "
                "UNION ALL "
                "SELECT MIN(lease_until) FROM deliveries WHERE state = 'sending')"));
    FW_ASSIGN_OR_RETURN(auto step, s.Step());
    if (step == StepResult::kDone) {
      return Fail(ErrorCode::kInternal, "database aggregate returned no row");
    }
    return OptionalTime(s.OptionalInt(0));
  }

  Result<int> CancelPartnerDeliveries(const std::string& partner_id,
                                      const std::string& reason) override {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("UPDATE deliveries SET state = 'cancelled', "
                                        "cancel_reason = ?2, lease_until = NULL, claim_token = '' "
                                        "WHERE partner_id = ?1 AND state = 'pending'"));
    FW_TRY(s.Bind(1, partner_id).Bind(2, reason).Run());
    return Changes();
  }

  Result<std::vector<int64_t>> CountDeliveries() override {
    constexpr size_t kStates = static_cast<size_t>(DeliveryState::kFailed) + 1;
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT state, COUNT(*), "
                                        "SUM(acknowledged_at IS NULL) FROM deliveries "
                                        "GROUP BY state"));
    std::vector<int64_t> counts(kStates + 1, 0);
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      FW_ASSIGN_OR_RETURN(auto state, Stored(ParseDeliveryState(s.Text(0)), "delivery state"));
      counts[static_cast<size_t>(state)] = s.Int(1);
      if (state == DeliveryState::kDelivered) counts[kStates] = s.Int(2);
    }
    return counts;
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
  // The first row of `sql` (bound to `version` when given) as a policy version.
  Result<std::optional<PolicyVersion>> OnePolicyVersion(const std::string& sql,
                                                        std::optional<int> version);

  // Runs `body` inside a savepoint, so that a multi-statement write either happens entirely or
  // not at all, even if the caller commits after the failure.
  template <class Body>
  Status Atomically(const Body& body) {
    if (finished_) return Fail(ErrorCode::kInternal, "transaction used after it finished");
    FW_TRY(connection_->Exec("SAVEPOINT fw_atomic"));
    Status status = body();
    if (!status) {
      (void)connection_->Exec("ROLLBACK TO fw_atomic");
      (void)connection_->Exec("RELEASE fw_atomic");
      return status;
    }
    return connection_->Exec("RELEASE fw_atomic");
  }

  // Writes the revision's artifact_ids in order; the schema rejects (kConflict) an id that is
  // not an artifact of the same advisory.
  Status InsertRevisionArtifacts(const Revision& revision) {
    for (size_t i = 0; i < revision.artifact_ids.size(); ++i) {
      const std::string& id = revision.artifact_ids[i];
      // Prepared per row: a borrowed statement is reset when it goes out of scope.
      FW_ASSIGN_OR_RETURN(auto s, Prepare("INSERT INTO revision_artifacts(advisory_id, revision, "
                                          "position, artifact_id) VALUES(?, ?, ?, ?)"));
      FW_TRY(ExplainConflict(s.Bind(1, revision.advisory_id)
                                 .Bind(2, int64_t{revision.number})
                                 .Bind(3, static_cast<int64_t>(i))
                                 .Bind(4, id)
                                 .Run(),
                             fmt::format("artifact {} in revision {} of advisory {}", id,
                                         revision.number, revision.advisory_id)));
    }
    return Ok();
  }

  // The revision's artifact ids in their stored order.
  Result<std::vector<std::string>> ListRevisionArtifacts(const std::string& advisory_id,
                                                         int number) {
    FW_ASSIGN_OR_RETURN(auto s, Prepare("SELECT artifact_id FROM revision_artifacts WHERE "
                                        "advisory_id = ? AND revision = ? ORDER BY position"));
    s.Bind(1, advisory_id).Bind(2, int64_t{number});
    std::vector<std::string> ids;
    while (true) {
      FW_ASSIGN_OR_RETURN(auto step, s.Step());
      if (step == StepResult::kDone) break;
      ids.push_back(s.Text(0));
    }
    return ids;
  }

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

Result<std::optional<PolicyVersion>> SqliteTransaction::OnePolicyVersion(
    const std::string& sql, std::optional<int> version) {
  FW_ASSIGN_OR_RETURN(auto s, Prepare(sql));
  if (version) s.Bind(1, int64_t{*version});
  FW_ASSIGN_OR_RETURN(auto step, s.Step());
  if (step == StepResult::kDone) return std::optional<PolicyVersion>();
  FW_ASSIGN_OR_RETURN(auto row, ReadPolicyVersion(s));
  return std::optional<PolicyVersion>(std::move(row));
}

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqlite(const std::filesystem::path& path) {
  auto store = std::make_unique<sqlite::SqliteStore>(path.string());
  FW_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace forewarn::store
