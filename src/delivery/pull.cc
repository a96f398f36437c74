#include "delivery/pull.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/time.h"
#include "delivery/package.h"
#include "standards/cvss.h"

namespace forewarn::delivery {
namespace {

using nlohmann::json;

tl::unexpected<Error> AdvisoryNotFound(const std::string& id) {
  // The same text whether the id never existed or is under embargo for this partner.
  return Fail(ErrorCode::kNotFound, fmt::format("advisory {} not found", id.substr(0, 64)));
}

tl::unexpected<Error> ArtifactNotFound(const std::string& id) {
  return Fail(ErrorCode::kNotFound, fmt::format("artifact {} not found", id.substr(0, 64)));
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string PartnerStatus(const Advisory& advisory, TimePoint now) {
  if (advisory.withdrawn_at) return std::string(ToString(AdvisoryStatus::kWithdrawn));
  if (advisory.public_at <= now) return std::string(ToString(AdvisoryStatus::kPublic));
  return std::string(ToString(AdvisoryStatus::kPartnerReleased));
}

// When the partner's tier first got `revision`.
std::optional<TimePoint> WaveTime(const std::vector<Release>& releases, int revision,
                                  const std::string& tier) {
  const Release* wave = FindWave(releases, revision, tier);
  return wave != nullptr ? std::optional<TimePoint>(wave->at) : std::nullopt;
}

// A primary artifact of a revision and the form of it the gate delivers to a partner.
struct DeliveredArtifact {
  const Artifact* primary;
  const Artifact* delivered;  // the primary itself or one of its alternative forms
};

// What the partner receives of `revision`'s artifacts, in the revision's order.
std::vector<DeliveredArtifact> DeliveredArtifacts(const VisibilityGate& gate,
                                                  const policy::Facts& facts,
                                                  const std::vector<Artifact>& artifacts) {
  std::vector<DeliveredArtifact> out;
  for (const auto& group : GroupArtifacts(*facts.revision, artifacts)) {
    if (const Artifact* chosen = gate.DeliveredForm(facts, group)) {
      out.push_back({group.primary, chosen});
    }
  }
  return out;
}

}  // namespace

json CvssJson(const std::vector<std::string>& vectors) {
  json out = json::array();
  for (const auto& vector : vectors) {
    auto score = standards::ScoreCvss(vector);
    if (!score) continue;  // validated on write; never fail a read over it
    out.push_back({{"vector", vector},
                   {"version", standards::VersionString(score->version)},
                   {"base_score", score->base_score},
                   {"severity", score->severity}});
  }
  return out;
}

json ProductsJson(const std::vector<Product>& products) {
  json out = json::array();
  for (const auto& p : products) {
    json item = {{"name", p.name}, {"versions", p.versions}};
    if (!p.fixed.empty()) item["fixed"] = p.fixed;
    out.push_back(item);
  }
  return out;
}

// An advisory as far as one partner may see it.
struct PullService::View {
  std::shared_ptr<const Schedule> schedule;  // shared with the cache: no copies per request
  std::shared_ptr<const Revision> revision;  // the newest the partner may see
  const Advisory& advisory() const { return *schedule->advisory; }
  const std::vector<Release>& releases() const { return schedule->releases; }
};

PullService::PullService(store::Store& store, const ledger::Ledger& ledger,
                         ledger::Recorder& recorder, const Clock& clock, crypto::Random& random,
                         const policy::PolicyService& policies, crypto::SecretBytes cursor_key,
                         monitor::ActivityMonitor* monitor,
                         const crypto::SigningKeyPair* package_key)
    : store_(store),
      ledger_(ledger),
      recorder_(recorder),
      clock_(clock),
      random_(random),
      policies_(policies),
      cursor_key_(std::move(cursor_key)),
      monitor_(monitor),
      package_key_(package_key) {}

Result<ArtifactCopy> PullService::CopyFor(const Artifact& artifact, std::string content,
                                          const std::string& partner_id) const {
  if (fingerprints_ != nullptr) return fingerprints_->CopyFor(artifact, content, partner_id);
  return ArtifactCopy{.bytes = std::move(content), .sha256 = artifact.content_sha256};
}

Result<VisibilityGate> PullService::Gate(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(auto active, policies_.Current(tx));
  return VisibilityGate(active->policy);
}

void PullService::Observe(const Principal& caller, const std::string& advisory_id,
                          std::string_view type, const Delivered& delivered) const {
  if (monitor_ == nullptr || !delivered.ledger_index) return;
  monitor_->Observe({.partner_id = caller.partner_id,
                     .advisory_id = advisory_id,
                     .type = std::string(type),
                     .ledger_index = *delivered.ledger_index,
                     .at = clock_.Now()});
}

Result<Partner> PullService::LoadPartner(store::Transaction& tx, const Principal& caller) const {
  FW_TRY(Authorize(caller, Action::kPartnerView));
  FW_ASSIGN_OR_RETURN(auto partner, tx.FindPartner(caller.partner_id));
  if (!partner) return Fail(ErrorCode::kUnauthenticated, "the token's partner no longer exists");
  return std::move(*partner);
}

Result<int64_t> PullService::Generation(store::Transaction& tx) const {
  FW_ASSIGN_OR_RETURN(auto text, tx.GetSetting(std::string(kAdvisoryGenerationSetting)));
  int64_t generation = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), generation);
  return generation;
}

Result<std::shared_ptr<const PullService::Schedule>> PullService::LoadSchedule(
    store::Transaction& tx, const std::string& advisory_id, int64_t generation) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (generation > schedules_generation_) {
      schedules_.clear();
      schedules_generation_ = generation;
    }
    if (generation == schedules_generation_) {
      if (auto it = schedules_.find(advisory_id); it != schedules_.end()) return it->second;
    }
  }
  // Both lookups run whether or not the advisory exists, so an embargoed id and an unknown
  // one take the same path (and both are cached the same way).
  auto schedule = std::make_shared<Schedule>();
  FW_ASSIGN_OR_RETURN(schedule->advisory, tx.FindAdvisory(advisory_id));
  FW_ASSIGN_OR_RETURN(schedule->releases, tx.ListReleases(advisory_id));
  std::lock_guard lock(cache_mutex_);
  if (generation == schedules_generation_) {
    if (schedules_.size() >= kScheduleCacheSize) schedules_.clear();  // crude, bounded
    schedules_.emplace(advisory_id, schedule);
  }
  return std::shared_ptr<const Schedule>(std::move(schedule));
}

Result<std::optional<PullService::View>> PullService::Visible(
    store::Transaction& tx, const VisibilityGate& gate, const Partner& partner,
    const std::string& advisory_id, TimePoint now, int64_t generation) const {
  FW_ASSIGN_OR_RETURN(auto schedule, LoadSchedule(tx, advisory_id, generation));
  if (!schedule->advisory) return std::optional<View>();
  const auto number = EmbargoRevision(partner, *schedule->advisory, schedule->releases, now);
  if (!number) return std::optional<View>();
  FW_ASSIGN_OR_RETURN(auto revision, OpenedRevision(tx, advisory_id, *number));
  if (!gate.MaySee(
          gate.FactsFor(partner, *schedule->advisory, *revision, schedule->releases, now))) {
    return std::optional<View>();
  }
  return std::optional<View>(View{std::move(schedule), std::move(revision)});
}

// The caller's partner and its view of the advisory, or the embargo's 404.
struct PullService::CallerView {
  Partner partner;
  VisibilityGate gate;  // the policy in force for this request
  View view;
};

Result<PullService::CallerView> PullService::RequireVisible(store::Transaction& tx,
                                                            const Principal& caller,
                                                            const std::string& advisory_id,
                                                            TimePoint now) const {
  FW_ASSIGN_OR_RETURN(auto partner, LoadPartner(tx, caller));
  FW_ASSIGN_OR_RETURN(const int64_t generation, Generation(tx));
  FW_ASSIGN_OR_RETURN(auto gate, Gate(tx));
  FW_ASSIGN_OR_RETURN(auto view, Visible(tx, gate, partner, advisory_id, now, generation));
  if (!view) return AdvisoryNotFound(advisory_id);
  return CallerView{std::move(partner), std::move(gate), std::move(*view)};
}

Result<std::shared_ptr<const Revision>> PullService::OpenedRevision(store::Transaction& tx,
                                                                    const std::string& advisory_id,
                                                                    int number) const {
  const auto key = std::make_pair(advisory_id, number);
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = revisions_.find(key); it != revisions_.end()) return it->second;
  }
  FW_ASSIGN_OR_RETURN(auto revision, tx.FindRevision(advisory_id, number));
  if (!revision) {
    return Fail(ErrorCode::kInternal,
                fmt::format("revision {} of {} is missing", number, advisory_id));
  }
  auto shared = std::make_shared<const Revision>(std::move(*revision));
  std::lock_guard lock(cache_mutex_);
  if (revisions_.size() >= kRevisionCacheSize) revisions_.clear();  // crude, bounded
  revisions_.emplace(key, shared);
  return shared;
}

Result<Delivered> PullService::Record(const Principal& caller, std::string type,
                                      std::string subject, json details,
                                      Delivered delivered) const {
  if (delivered.content_sha256.empty()) {
    delivered.content_sha256 = crypto::Hex(crypto::Sha256(delivered.body));
  }
  details["partner"] = caller.partner_id;
  FW_ASSIGN_OR_RETURN(auto where, recorder_.Record({.type = std::move(type),
                                                    .actor = caller.Actor(),
                                                    .subject = std::move(subject),
                                                    .details = std::move(details),
                                                    .payload_sha256 = delivered.content_sha256}));
  delivered.ledger_index = where.index;
  return delivered;
}

std::string PullService::EncodeCursor(const store::ReleaseCursor& cursor) const {
  const std::string plain = fmt::format("{}:{}", ToUnixMicros(cursor.at), cursor.seq);
  return crypto::Base64Url(crypto::EncryptWithKey(cursor_key_, plain, random_));
}

Result<std::optional<store::ReleaseCursor>> PullService::DecodeCursor(
    const std::string& cursor) const {
  if (cursor.empty()) return std::optional<store::ReleaseCursor>();
  const auto invalid = Fail(ErrorCode::kInvalidArgument,
                            "cursor is not one this server handed out; start again without it");
  auto raw = crypto::FromBase64Url(cursor);
  if (!raw) return invalid;
  auto plain = crypto::DecryptWithKey(cursor_key_, *raw);
  if (!plain) return invalid;
  const size_t colon = plain->find(':');
  if (colon == std::string::npos) return invalid;
  int64_t micros = 0;
  int64_t seq = 0;
  const char* begin = plain->data();
  const char* end = plain->data() + plain->size();
  if (std::from_chars(begin, begin + colon, micros).ec != std::errc{} ||
      std::from_chars(begin + colon + 1, end, seq).ec != std::errc{}) {
    return invalid;
  }
  return std::optional<store::ReleaseCursor>(store::ReleaseCursor{FromUnixMicros(micros), seq});
}

Result<Delivered> PullService::Feed(const Principal& caller, const std::string& cursor,
                                    size_t limit) const {
  if (limit == 0 || limit > kMaxFeedLimit) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("limit must be between 1 and {}", kMaxFeedLimit));
  }
  FW_ASSIGN_OR_RETURN(auto after, DecodeCursor(cursor));
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto partner, LoadPartner(*tx, caller));
  FW_ASSIGN_OR_RETURN(const int64_t generation, Generation(*tx));
  FW_ASSIGN_OR_RETURN(const auto gate, Gate(*tx));

  std::map<std::string, std::optional<View>> views;  // per advisory, for this request
  json items = json::array();
  json advisories = json::array();
  std::optional<store::ReleaseCursor> position = after;
  bool exhausted = false;
  while (!exhausted && items.size() < limit) {
    FW_ASSIGN_OR_RETURN(auto rows, tx->ListTierReleases(partner.tier, position, now, limit));
    exhausted = rows.size() < limit;
    for (const auto& row : rows) {
      if (items.size() == limit) {
        exhausted = false;
        break;
      }
      position = store::ReleaseCursor{row.at, row.seq};
      auto [it, inserted] = views.try_emplace(row.advisory_id);
      if (inserted) {
        FW_ASSIGN_OR_RETURN(it->second,
                            Visible(*tx, gate, partner, row.advisory_id, now, generation));
      }
      const auto& view = it->second;
      if (!view) continue;
      int revision = view->revision->number;
      std::string event;
      if (row.kind == ReleaseKind::kWave) {
        if (row.revision > view->revision->number) continue;
        // A wave whose revision a newer one had already overtaken for this tier is old news.
        if (Overtaken(view->releases(), partner.tier, row.revision, row.at)) continue;
        revision = row.revision;
        event = "released";
      } else {
        event = row.kind == ReleaseKind::kPublic ? "public" : "withdrawn";
      }
      std::shared_ptr<const Revision> shown = view->revision;
      if (revision != shown->number) {
        // An older wave of this tier: opened, so served from the revision cache.
        FW_ASSIGN_OR_RETURN(shown, OpenedRevision(*tx, row.advisory_id, revision));
      }
      const std::string& title = shown->content.title;
      items.push_back({{"advisory", row.advisory_id},
                       {"revision", revision},
                       {"event", event},
                       {"at", FormatTime(row.at)},
                       {"title", title},
                       {"url", "/api/v1/advisories/" + row.advisory_id}});
      advisories.push_back(row.advisory_id);
    }
  }
  const bool has_more = !exhausted;
  const std::string next = position ? EncodeCursor(*position) : cursor;
  Delivered delivered;
  delivered.body = Dump({{"items", items}, {"next_cursor", next}, {"has_more", has_more}}) + "\n";
  if (items.empty()) {
    delivered.content_sha256 = crypto::Hex(crypto::Sha256(delivered.body));
    return delivered;  // nothing was delivered, so nothing to record
  }
  tx.reset();  // release the read snapshot before waiting on the ledger's writer
  return Record(caller, "feed.read", caller.partner_id,
                {{"items", items.size()}, {"advisories", advisories}}, std::move(delivered));
}

Result<Delivered> PullService::ListAdvisories(const Principal& caller,
                                              const std::optional<std::string>& cve) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto partner, LoadPartner(*tx, caller));
  FW_ASSIGN_OR_RETURN(const int64_t generation, Generation(*tx));
  FW_ASSIGN_OR_RETURN(const auto gate, Gate(*tx));
  FW_ASSIGN_OR_RETURN(auto ids, tx->ListAdvisoriesOpenedFor(partner.tier, now));
  json items = json::array();
  json listed = json::array();
  for (const auto& id : ids) {
    FW_ASSIGN_OR_RETURN(auto view, Visible(*tx, gate, partner, id, now, generation));
    if (!view) continue;
    const auto& content = view->revision->content;
    if (cve && std::find(content.cves.begin(), content.cves.end(), *cve) == content.cves.end()) {
      continue;
    }
    FW_ASSIGN_OR_RETURN(auto accepted,
                        tx->FindTermsAcceptance(id, partner.id, view->revision->terms_sha256));
    const auto released = WaveTime(view->releases(), view->revision->number, partner.tier);
    items.push_back({{"id", id},
                     {"revision", view->revision->number},
                     {"status", PartnerStatus(view->advisory(), now)},
                     {"title", content.title},
                     {"cves", content.cves},
                     {"public_at", FormatTime(view->advisory().public_at)},
                     {"released_at", released ? json(FormatTime(*released)) : json(nullptr)},
                     {"terms_accepted", accepted.has_value()}});
    listed.push_back(id);
  }
  Delivered delivered;
  delivered.body = Dump({{"advisories", items}, {"count", items.size()}}) + "\n";
  if (items.empty()) {
    delivered.content_sha256 = crypto::Hex(crypto::Sha256(delivered.body));
    return delivered;
  }
  tx.reset();
  return Record(caller, "advisories.listed", caller.partner_id, {{"advisories", listed}},
                std::move(delivered));
}

Result<PullService::AdvisoryBody> PullService::BuildAdvisoryBody(store::Transaction& tx,
                                                                 const VisibilityGate& gate,
                                                                 const Partner& partner,
                                                                 const View& view,
                                                                 TimePoint now) const {
  const Revision& revision = *view.revision;
  const std::string& advisory_id = view.advisory().id;
  const auto& content = revision.content;
  FW_ASSIGN_OR_RETURN(auto accepted,
                      tx.FindTermsAcceptance(advisory_id, partner.id, revision.terms_sha256));
  const auto released = WaveTime(view.releases(), revision.number, partner.tier);
  AdvisoryBody out;
  out.terms_accepted = accepted.has_value();
  json& body = out.body;
  body = {{"id", advisory_id},
          {"revision", revision.number},
          {"status", PartnerStatus(view.advisory(), now)},
          {"title", content.title},
          {"cves", content.cves},
          {"public_at", FormatTime(view.advisory().public_at)},
          {"released_at", released ? json(FormatTime(*released)) : json(nullptr)},
          {"terms",
           {{"text", content.terms},
            {"sha256", revision.terms_sha256},
            {"accepted", accepted.has_value()}}}};
  if (view.advisory().withdrawn_at) {
    body["withdrawn_at"] = FormatTime(*view.advisory().withdrawn_at);
  } else if (accepted) {
    body["summary"] = revision.summary;
    body["description"] = content.description;
    body["products"] = ProductsJson(content.products);
    body["cvss"] = CvssJson(content.cvss_vectors);
    FW_ASSIGN_OR_RETURN(auto artifacts, tx.ListArtifacts(advisory_id));
    json listed = json::array();
    const auto facts = gate.FactsFor(partner, view.advisory(), revision, view.releases(), now);
    for (const auto& [primary, delivered] : DeliveredArtifacts(gate, facts, artifacts)) {
      listed.push_back({{"id", delivered->id},
                        {"kind", ToString(delivered->kind)},
                        {"title", delivered->title},
                        {"media_type", delivered->media_type},
                        {"filename", delivered->filename},
                        {"sensitivity", ToString(delivered->sensitivity)},
                        {"form", delivered == primary ? "original" : "alternative"},
                        {"revision", delivered->revision},
                        {"url", fmt::format("/api/v1/advisories/{}/artifacts/{}/content",
                                            advisory_id, delivered->id)}});
      out.artifacts.push_back(*delivered);
    }
    body["artifacts"] = listed;
    json history = json::array();
    FW_ASSIGN_OR_RETURN(auto revisions, tx.ListRevisions(advisory_id));
    for (const auto& r : revisions) {
      const auto at = WaveTime(view.releases(), r.number, partner.tier);
      if (r.number > revision.number || !at || *at > now) continue;
      // As in the feed: an overtaken revision never reached this tier.
      if (Overtaken(view.releases(), partner.tier, r.number, *at)) continue;
      history.push_back(
          {{"revision", r.number}, {"summary", r.summary}, {"released_at", FormatTime(*at)}});
    }
    body["revisions"] = history;
  }
  return out;
}

Result<Delivered> PullService::GetAdvisory(const Principal& caller,
                                           const std::string& advisory_id) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, RequireVisible(*tx, caller, advisory_id, now));
  FW_ASSIGN_OR_RETURN(auto built,
                      BuildAdvisoryBody(*tx, found.gate, found.partner, found.view, now));
  Delivered delivered;
  delivered.body = Dump(built.body) + "\n";
  tx.reset();
  FW_ASSIGN_OR_RETURN(auto recorded, Record(caller, "advisory.fetched", advisory_id,
                                            {{"revision", found.view.revision->number},
                                             {"terms_accepted", built.terms_accepted}},
                                            std::move(delivered)));
  Observe(caller, advisory_id, "advisory.fetched", recorded);
  return recorded;
}

Result<std::optional<PackageContent>> PullService::PackagePayload(
    store::Transaction& tx, const Partner& partner, const std::string& advisory_id, TimePoint now,
    const std::optional<std::string>& delivery_id) const {
  FW_ASSIGN_OR_RETURN(const int64_t generation, Generation(tx));
  FW_ASSIGN_OR_RETURN(auto gate, Gate(tx));
  FW_ASSIGN_OR_RETURN(auto view, Visible(tx, gate, partner, advisory_id, now, generation));
  if (!view) return std::optional<PackageContent>();
  FW_ASSIGN_OR_RETURN(auto built, BuildAdvisoryBody(tx, gate, partner, *view, now));
  json contents = json::array();
  for (const auto& artifact : built.artifacts) {
    FW_ASSIGN_OR_RETURN(auto bytes, tx.GetContent(artifact.content_sha256));
    if (!bytes) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("content of artifact {} is missing from the store", artifact.id));
    }
    FW_ASSIGN_OR_RETURN(ArtifactCopy copy, CopyFor(artifact, std::move(*bytes), partner.id));
    json entry = {{"id", artifact.id},
                  {"filename", artifact.filename},
                  {"media_type", artifact.media_type},
                  {"sha256", copy.sha256},
                  {"content_base64", crypto::Base64(copy.bytes)}};
    if (copy.fingerprint_id) entry["fingerprint"] = *copy.fingerprint_id;
    contents.push_back(std::move(entry));
  }
  PackageContent out;
  out.revision = view->revision->number;
  out.payload = {{"format", "forewarn-advisory/1"},
                 {"partner", partner.id},
                 {"generated_at", FormatTime(now)},
                 {"delivery", delivery_id ? json(*delivery_id) : json(nullptr)},
                 {"advisory", std::move(built.body)},
                 {"contents", std::move(contents)}};
  return std::optional<PackageContent>(std::move(out));
}

Result<Delivered> PullService::Package(const Principal& caller,
                                       const std::string& advisory_id) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto partner, LoadPartner(*tx, caller));
  if (package_key_ == nullptr) {
    return Fail(ErrorCode::kFailedPrecondition, "this server has no package signing key");
  }
  FW_ASSIGN_OR_RETURN(auto content, PackagePayload(*tx, partner, advisory_id, now, std::nullopt));
  if (!content) return AdvisoryNotFound(advisory_id);
  tx.reset();
  Delivered out;
  out.body = SignPackage(content->payload, *package_key_);
  bool sealed = false;
  if (!partner.x25519_public_key.empty()) {
    FW_ASSIGN_OR_RETURN(auto key, crypto::FromBase64(partner.x25519_public_key));
    FW_ASSIGN_OR_RETURN(out.body, SealPackage(out.body, key, random_));
    sealed = true;
  }
  out.filename = fmt::format("{}-r{}.fwpkg.json", advisory_id, content->revision);
  FW_ASSIGN_OR_RETURN(auto recorded, Record(caller, "package.fetched", advisory_id,
                                            {{"revision", content->revision},
                                             {"sealed", sealed},
                                             {"contents", content->payload["contents"].size()}},
                                            std::move(out)));
  Observe(caller, advisory_id, "package.fetched", recorded);
  return recorded;
}

Result<TermsAcceptance> PullService::AcceptTerms(const Principal& caller,
                                                 const std::string& advisory_id,
                                                 const std::string& terms_sha256) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kWrite));
  FW_ASSIGN_OR_RETURN(auto found, RequireVisible(*tx, caller, advisory_id, now));
  const Partner& partner = found.partner;
  const View* view = &found.view;
  const Revision& revision = *view->revision;
  if (terms_sha256 != revision.terms_sha256) {
    return Fail(ErrorCode::kConflict,
                fmt::format("terms_sha256 does not match the terms of revision {} (sha256 {}); "
                            "read the advisory again and accept what it shows",
                            revision.number, revision.terms_sha256));
  }
  FW_ASSIGN_OR_RETURN(auto existing,
                      tx->FindTermsAcceptance(advisory_id, partner.id, terms_sha256));
  if (existing) return std::move(*existing);
  TermsAcceptance acceptance{.advisory_id = advisory_id,
                             .revision = revision.number,
                             .partner_id = partner.id,
                             .terms_sha256 = terms_sha256,
                             .actor = caller.Actor(),
                             .accepted_at = now};
  FW_TRY(tx->InsertTermsAcceptance(acceptance));
  FW_TRY(ledger_.Append(*tx, {.type = "terms.accepted",
                              .actor = caller.Actor(),
                              .subject = advisory_id,
                              .details = {{"partner", partner.id},
                                          {"revision", revision.number},
                                          {"terms_sha256", terms_sha256}},
                              .payload_sha256 = terms_sha256}));
  if (terms_hook_) {
    FW_TRY(terms_hook_(*tx, partner, advisory_id, revision.number));
  }
  FW_TRY(tx->Commit());
  return acceptance;
}

Result<Delivered> PullService::FetchArtifact(const Principal& caller,
                                             const std::string& advisory_id,
                                             const std::string& artifact_id) const {
  const TimePoint now = clock_.Now();
  FW_ASSIGN_OR_RETURN(auto tx, store_.Begin(store::TxMode::kRead));
  FW_ASSIGN_OR_RETURN(auto found, RequireVisible(*tx, caller, advisory_id, now));
  const Partner& partner = found.partner;
  const View* view = &found.view;
  const Revision& revision = *view->revision;
  if (view->advisory().withdrawn_at) {
    return Fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("advisory {} was withdrawn; its artifacts are no longer served", advisory_id));
  }
  FW_ASSIGN_OR_RETURN(auto artifacts, tx->ListArtifacts(advisory_id));
  // The requested id must be what the gate delivers for one of the revision's primaries.
  const Artifact* primary = nullptr;
  const Artifact* delivered = nullptr;
  const auto facts =
      found.gate.FactsFor(partner, view->advisory(), revision, view->releases(), now);
  for (const auto& d : DeliveredArtifacts(found.gate, facts, artifacts)) {
    if (d.delivered->id == artifact_id) {
      primary = d.primary;
      delivered = d.delivered;
    }
  }
  if (delivered == nullptr) return ArtifactNotFound(artifact_id);
  FW_ASSIGN_OR_RETURN(auto accepted,
                      tx->FindTermsAcceptance(advisory_id, partner.id, revision.terms_sha256));
  if (!accepted) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("accept the embargo terms of advisory {} revision {} first (POST "
                            "/api/v1/advisories/{}/terms with their terms_sha256)",
                            advisory_id, revision.number, advisory_id));
  }
  FW_ASSIGN_OR_RETURN(auto content, tx->GetContent(delivered->content_sha256));
  if (!content) {
    return Fail(ErrorCode::kInternal,
                fmt::format("content of artifact {} is missing from the store", delivered->id));
  }
  FW_ASSIGN_OR_RETURN(ArtifactCopy copy, CopyFor(*delivered, std::move(*content), partner.id));
  Delivered out;
  out.body = std::move(copy.bytes);
  out.media_type = delivered->media_type;
  out.filename = delivered->filename;
  out.content_sha256 = copy.sha256;
  tx.reset();
  json details = {{"advisory", advisory_id},
                  {"revision", revision.number},
                  {"primary", primary->id},
                  {"form", delivered == primary ? "original" : "alternative"},
                  {"size", out.body.size()}};
  if (copy.fingerprint_id) details["fingerprint"] = *copy.fingerprint_id;
  FW_ASSIGN_OR_RETURN(auto recorded, Record(caller, "artifact.fetched", delivered->id,
                                            std::move(details), std::move(out)));
  Observe(caller, advisory_id, "artifact.fetched", recorded);
  return recorded;
}

}  // namespace forewarn::delivery
